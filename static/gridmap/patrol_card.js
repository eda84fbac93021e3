/* The route card's map: streets (the app's own street background), the walking route and
 * the numbered stops, labels spread so that no number hides another (stop_labels.js).
 * Numbers only from the server's JSON (json_script): no HTML is built from data. */
(function () {
  'use strict';
  var el = document.getElementById('card-map');
  var printButton = document.getElementById('print-card');
  if (printButton) { printButton.addEventListener('click', function () { window.print(); }); }
  var data = document.getElementById('route-data');
  if (!el || !data) { document.body.setAttribute('data-ready', '1'); return; }
  var route = JSON.parse(data.textContent);
  var map = L.map(el, {attributionControl: false, zoomControl: true, zoomSnap: 0.25});
  var bounds = L.latLngBounds(route.stops.map(function (s) { return [s.lat, s.lon]; }));
  route.lines.forEach(function (line) { line.forEach(function (p) { bounds.extend(p); }); });
  var fit = function () { map.invalidateSize(false); map.fitBounds(bounds.pad(0.08), {animate: false}); };
  fit();
  // Printing lays the page out again at the paper's width: fit the route to the new map box.
  window.addEventListener('beforeprint', fit);
  window.addEventListener('resize', fit);
  if (window.matchMedia) {
    var printing = window.matchMedia('print');
    if (printing.addEventListener) { printing.addEventListener('change', fit); }
  }
  var streets = L.layerGroup().addTo(map);
  var routeLayer = L.layerGroup().addTo(map);
  route.lines.forEach(function (line) {
    L.polyline(line, {color: '#1f4e9c', weight: 5, opacity: 0.85}).addTo(routeLayer);
  });
  var markers = route.stops.map(function (s) {
    var label = document.createElement('div');
    label.className = 'gm-stop' + (s.n === 0 ? ' start' : '');
    label.textContent = s.n === 0 ? '起' : String(s.n);
    var holder = document.createElement('div');
    holder.appendChild(label);
    return L.marker([s.lat, s.lon], {
      icon: L.divIcon({html: holder.innerHTML, className: 'gm-stop-icon', iconSize: [24, 24], iconAnchor: [12, 12]}),
      keyboard: false, zIndexOffset: 1000 - s.n
    }).addTo(map);
  });
  GridmapStopLabels.spread(map, markers);
  window.gridmapCardMap = map;  // for the browser tests and the console
  var done = function () { document.body.setAttribute('data-ready', '1'); };
  // The streets around the route only (a province's network is tens of megabytes).
  fetch(el.getAttribute('data-streets') + '?in_bbox=' + bounds.pad(0.5).toBBoxString(), {credentials: 'same-origin'})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (geo) {
      if (geo) {
        L.geoJSON(geo, {interactive: false, style: {color: '#9a9a9a', weight: 1.2, opacity: 0.9}}).addTo(streets);
      }
      done();
    }, done);
})();
