/* The admin's geometry widget (layers.maps.widgets.OfflineOSMWidget): builds Django's
 * MapWidget from the JSON options next to each map, instead of the inline <script> of
 * Django's template, which the Content-Security-Policy would block. */
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('[data-gridmap-olwidget]').forEach(function (div) {
    var options = JSON.parse(document.getElementById(div.getAttribute('data-gridmap-olwidget')).textContent);
    if (!options.osm_tiles) {  // no tile host allowed by the CSP: an empty background layer
      options.base_layer = new ol.layer.Vector({source: new ol.source.Vector()});
    }
    window[options.module] = new MapWidget(options);
  });
});
