/* The admin's geometry widget (layers.maps.widgets.OfflineOSMWidget): builds Django's
 * MapWidget from the JSON options next to each map, instead of the inline <script> of
 * Django's template, which the Content-Security-Policy would block.
 *
 * Background (options.basemap, from GRIDMAP_BASEMAP): "none" draws the imported walk
 * network from /maps/streets.geojson under the edited shape, as the Leaflet maps do
 * (layers/maps/base.py); "osm" is MapWidget's own OpenStreetMap layer; "tianditu" the
 * tile URLs given in options.tiles. */
(function () {
  'use strict';

  function streets(options) {
    var layer = new ol.layer.Vector({
      // The streets in view, asked for again as the view moves (a province's network is tens
      // of megabytes); the box in degrees, kept within their range.
      source: new ol.source.Vector({
        format: new ol.format.GeoJSON(), attributions: options.streets_attribution, strategy: ol.loadingstrategy.bbox,
        url: function (extent, resolution, projection) {
          var e = ol.proj.transformExtent(extent, projection, 'EPSG:4326');
          var box = [Math.max(e[0], -180), Math.max(e[1], -90), Math.min(e[2], 180), Math.min(e[3], 90)];
          // The zoom level of this resolution (Web Mercator, 256-pixel tiles): less detail far out.
          var zoom = Math.max(0, Math.min(22, Math.floor(Math.log2(156543.03392804097 / resolution))));
          return options.streets_url + '?in_bbox=' + box.map(function (v) { return v.toFixed(6); }).join(',') +
            '&zoom=' + zoom;
        }
      }),
      style: new ol.style.Style({stroke: new ol.style.Stroke({color: '#c8c4bc', width: 1.5})})
    });
    layer.set('name', 'streets');
    return layer;
  }

  function baseLayer(options) {
    if (options.basemap === 'osm') {
      return null;  // MapWidget's default: OpenStreetMap tiles
    }
    if (options.basemap === 'tianditu' && options.tiles.length) {
      return new ol.layer.Group({layers: options.tiles.map(function (t) {
        return new ol.layer.Tile({source: new ol.source.XYZ({url: t.url, attributions: t.attribution})});
      })});
    }
    return streets(options);
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-gridmap-olwidget]').forEach(function (div) {
      var options = JSON.parse(document.getElementById(div.getAttribute('data-gridmap-olwidget')).textContent);
      var base = baseLayer(options);
      if (base) {
        options.base_layer = base;
      }
      document.getElementById(options.map_id).style.background = '#f4f3ef';
      window[options.module] = new MapWidget(options);
    });
  });
}());
