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
  function viewParams(map) {
    var b = map.getBounds(), p = new URLSearchParams();
    var clamp = function (v, lo, hi) { return Math.min(hi, Math.max(lo, v)); };
    p.set("bbox", [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].map(function (v) { return v.toFixed(6); }).join(","));
    p.set("zoom", map.getZoom());
    return p;
  }
  function formParams(form, drop) {
    var p = new URLSearchParams(new FormData(form));
    (drop || []).forEach(function (k) { p.delete(k); });
    return p;
  }
  function merged(a, b) { b.forEach(function (v, k) { a.set(k, v); }); return a; }
  // Cases clustered by the server: only what is in view is fetched. A cluster zooms in on
  // click; at the closest zoom (or from its popup) it lists its cases. Returns the loader.
  function caseClusters(map, el, form, status, source) {
    var layer = L.layerGroup().addTo(map), seq = 0;
    function listUrl(bbox) {
      var p = formParams(form, ["bbox", "indicator"]);
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
      if (status) { status.textContent = total + " " + el.dataset.labelCases; }
    }
    return {
      layer: layer,
      load: function () {
        var mine = ++seq;
        var p = merged(formParams(form, ["bbox", "indicator"]), viewParams(map));
        fetch(source + "?" + p.toString(), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (fc) { if (mine === seq && fc.features) { draw(fc); } });
      }
    };
  }
  window.linliCaseMap = function (id, formId, statusId, bounds) {
    var map = baseMap(id);
    var el = map.getContainer(), form = document.getElementById(formId);
    if (bounds) { map.fitBounds(bounds, { padding: [20, 20] }); }
    var cases = caseClusters(map, el, form, document.getElementById(statusId), el.dataset.source);
    map.setMaxZoom(19);
    map.on("moveend", cases.load);
    form.addEventListener("change", cases.load);
    cases.load();
    return map;
  };
  // 民情地图: grids coloured by the chosen indicator (five classes between the smallest and
  // the largest value in view; community points when too many grids are in view), the
  // grid's card on click, and the cases on top, filtered like the case list.
  var COLOURS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
  window.linliSituationMap = function (id, formId, statusId, legendId, cardId, bounds) {
    var map = baseMap(id);
    var el = map.getContainer(), form = document.getElementById(formId);
    var legend = document.getElementById(legendId), card = document.getElementById(cardId);
    var grids = L.layerGroup().addTo(map), seq = 0;
    if (bounds) { map.fitBounds(bounds, { padding: [20, 20] }); }
    var cases = el.dataset.cases ? caseClusters(map, el, form, document.getElementById(statusId), el.dataset.cases) : null;
    var toggle = document.getElementById("show-cases");
    function fmt(v, rate) { return v === null ? "—" : rate ? (v * 100).toFixed(1) + "%" : String(v); }
    function colour(v, lo, hi, rate) {
      if (v === null) { return "#cccccc"; }
      var t = rate ? v : hi > lo ? (v - lo) / (hi - lo) : 0;
      if (rate) { t = 1 - t; }  // low coverage is the warning
      return COLOURS[Math.min(4, Math.floor(t * 5))];
    }
    function showCard(code) {
      fetch(el.dataset.card.replace("CODE", code), { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) { card.innerHTML = html; card.classList.remove("text-muted"); });
    }
    function drawGrids(fc) {
      grids.clearLayers();
      var rate = fc.indicator === "coverage";
      var vals = fc.features.map(function (f) { return f.properties.value; }).filter(function (v) { return v !== null; });
      var lo = vals.length ? Math.min.apply(null, vals) : 0, hi = vals.length ? Math.max.apply(null, vals) : 0;
      fc.features.forEach(function (f) {
        var p = f.properties, c = colour(p.value, lo, hi, rate), layer;
        if (f.geometry.type === "Point") {
          layer = L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]], { radius: 12, color: "#555", weight: 1, fillColor: c, fillOpacity: 0.8 });
          layer.bindTooltip(p.name + " · " + p.grids + el.dataset.labelCommunity + " · " + fmt(p.value, rate));
          layer.on("click", function () { map.setView(layer.getLatLng(), map.getZoom() + 2); });
        } else {
          layer = L.geoJSON(f, { style: { color: "#555", weight: 1, fillColor: c, fillOpacity: 0.55 } });
          layer.bindTooltip(p.name + " · " + fmt(p.value, rate));
          layer.on("click", function () { showCard(p.code); });
        }
        layer.addTo(grids);
      });
      var label = form.querySelector("[name=indicator]").selectedOptions[0].textContent;
      legend.innerHTML = "";
      var title = document.createElement("div");
      title.textContent = label + ": " + fmt(rate ? 0 : lo, rate) + " – " + fmt(rate ? 1 : hi, rate);
      legend.appendChild(title);
      var bar = document.createElement("div");
      bar.className = "d-flex";
      (rate ? COLOURS.slice().reverse() : COLOURS).forEach(function (c) {
        var s = document.createElement("span");
        s.style.cssText = "flex:1;height:10px;background:" + c;
        bar.appendChild(s);
      });
      legend.appendChild(bar);
    }
    function loadGrids() {
      var mine = ++seq, p = viewParams(map);
      el.setAttribute("aria-busy", "true");  // until the latest view's grids are drawn
      p.set("indicator", form.querySelector("[name=indicator]").value);
      var region = form.querySelector("[name=region]");
      p.set("region", region && region.value ? region.value : el.dataset.region);
      fetch(el.dataset.grids + "?" + p.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (fc) {
          if (mine !== seq) { return; }
          if (fc.features) { drawGrids(fc); }
          el.setAttribute("aria-busy", "false");
        });
    }
    function load() {
      loadGrids();
      if (cases) {
        if (!toggle || toggle.checked) { cases.layer.addTo(map); cases.load(); } else { map.removeLayer(cases.layer); }
      }
    }
    map.setMaxZoom(19);
    map.on("moveend", load);
    form.addEventListener("change", load);
    load();
    return map;
  };
})();
