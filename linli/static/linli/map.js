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
  // Cases on a map, clustered by the server: only what is in view is fetched, again after
  // every move and every change of the filter form. A cluster zooms in on click; at the
  // closest zoom (or from its popup) it lists its cases.
  window.linliCaseMap = function (id, formId, statusId, bounds) {
    var map = baseMap(id);
    var el = map.getContainer(), form = document.getElementById(formId);
    var status = document.getElementById(statusId), layer = L.layerGroup().addTo(map), seq = 0;
    if (bounds) { map.fitBounds(bounds, { padding: [20, 20] }); }
    function filters() {
      var p = new URLSearchParams(new FormData(form));
      p.delete("bbox");
      return p;
    }
    function listUrl(bbox) {
      var p = filters();
      p.set("bbox", bbox.join(","));
      return el.dataset.list + "?" + p.toString();
    }
    function clusterIcon(n) {
      var size = n < 10 ? 28 : n < 100 ? 34 : n < 1000 ? 42 : 50;
      return L.divIcon({ html: "<span>" + n + "</span>", className: "linli-cluster", iconSize: [size, size] });
    }
    function popup(p) {
      var a = document.createElement("a");
      if (p.id) {
        a.href = el.dataset.detail.replace("/0/", "/" + p.id + "/");
        a.textContent = p.number + " " + p.category + " · " + p.status_label;
      } else {
        a.href = listUrl(p.bbox);
        a.textContent = el.dataset.labelList + " (" + p.count + " " + el.dataset.labelCases + ")";
      }
      return a;
    }
    function draw(fc) {
      layer.clearLayers();
      var total = 0;
      fc.features.forEach(function (f) {
        var p = f.properties, at = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        total += p.count;
        var m = p.id
          ? L.circleMarker(at, { radius: 7, color: p.warned === "red" ? "#dc3545" : p.warned === "yellow" ? "#e0a800" : "#0d6efd", fillOpacity: 0.7 })
          : L.marker(at, { icon: clusterIcon(p.count) });
        m.bindPopup(popup(p));
        if (!p.id && map.getZoom() < map.getMaxZoom()) {
          m.on("click", function () { map.fitBounds([[p.bbox[1], p.bbox[0]], [p.bbox[3], p.bbox[2]]]); });
        }
        m.addTo(layer);
      });
      status.textContent = total + " " + el.dataset.labelCases;
    }
    function load() {
      var b = map.getBounds(), p = filters(), mine = ++seq;
      var clamp = function (v, lo, hi) { return Math.min(hi, Math.max(lo, v)); };
      p.set("bbox", [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].map(function (v) { return v.toFixed(6); }).join(","));
      p.set("zoom", map.getZoom());
      fetch(el.dataset.source + "?" + p.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (fc) { if (mine === seq && fc.features) { draw(fc); } });
    }
    map.setMaxZoom(19);
    map.on("moveend", load);
    form.addEventListener("change", load);
    load();
    return map;
  };
})();
