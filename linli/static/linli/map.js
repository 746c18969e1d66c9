// Maps for Linli. Base tiles come from LINLI_TILE_URL when configured; otherwise a blank
// background, so the maps work offline. Coordinates are WGS84 [lng, lat] (GeoJSON).
(function () {
  function baseMap(id) {
    var el = document.getElementById(id);
    var map = L.map(el, { attributionControl: false });
    var url = el.dataset.tiles;
    if (url) { L.tileLayer(url, { maxZoom: 19 }).addTo(map); }
    map.setView([41.03, 113.11], 12);
    return map;
  }
  window.linliShowFeatures = function (id, fc) {
    var map = baseMap(id);
    if (!fc.features.length) { return map; }
    var layer = L.geoJSON(fc, {
      style: { color: "#c0392b", weight: 2, fillOpacity: 0.08 },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); }
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [10, 10] });
    return map;
  };
  window.linliDrawPolygon = function (id, fieldId, siblings, clearId) {
    var map = window.linliShowFeatures(id, siblings);
    var field = document.getElementById(fieldId);
    var points = [], shape = null;
    function render() {
      if (shape) { map.removeLayer(shape); }
      shape = points.length ? L.polygon(points, { color: "#0d6efd" }).addTo(map) : null;
    }
    function write() {
      if (points.length < 3) { return; }
      var ring = points.map(function (p) { return [+p.lng.toFixed(6), +p.lat.toFixed(6)]; });
      ring.push(ring[0]);
      field.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    }
    if (field.value) {
      try {
        var g = L.geoJSON(JSON.parse(field.value)).addTo(map);
        map.fitBounds(g.getBounds());
      } catch (e) { /* the server reports invalid GeoJSON */ }
    }
    map.doubleClickZoom.disable();
    map.on("click", function (e) { points.push(e.latlng); render(); write(); });
    map.on("dblclick", function () { write(); });
    document.getElementById(clearId).addEventListener("click", function () { points = []; render(); field.value = ""; });
  };
  // A point chosen on the map (or from the device's location) into two hidden inputs.
  window.linliPickPoint = function (id, latId, lngId, grids, locateId) {
    var map = window.linliShowFeatures(id, grids);
    var lat = document.getElementById(latId), lng = document.getElementById(lngId), marker = null;
    function put(p) {
      if (marker) { map.removeLayer(marker); }
      marker = L.circleMarker(p, { radius: 8, color: "#0d6efd" }).addTo(map);
      lat.value = p.lat.toFixed(6);
      lng.value = p.lng.toFixed(6);
    }
    if (lat.value && lng.value) { put(L.latLng(+lat.value, +lng.value)); }
    map.on("click", function (e) { put(e.latlng); });
    var button = document.getElementById(locateId);
    if (button && navigator.geolocation) {
      button.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (pos) {
          var p = L.latLng(pos.coords.latitude, pos.coords.longitude);
          put(p);
          map.setView(p, 16);
        });
      });
    }
    return map;
  };
})();
