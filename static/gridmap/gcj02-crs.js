/* L.CRS.GCJ02: Web Mercator over GCJ-02 ("Mars") coordinates, for Amap/Gaode tiles.
 * Data stays in WGS84; the projection shifts it to GCJ-02 for display only, so markers,
 * polygons and the tiles agree. Constants of the GCJ-02 formula: a = 6378245.0,
 * ee = 0.00669342162296594323 (DOMAIN.md section 7); the inverse is iterative. */
(function () {
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function outOfChina(lng, lat) { return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
    return r;
  }
  function tLng(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
    return r;
  }
  function toGcj(lng, lat) {
    if (outOfChina(lng, lat)) { return [lng, lat]; }
    var dLat = tLat(lng - 105, lat - 35), dLng = tLng(lng - 105, lat - 35);
    var radLat = lat / 180 * PI, magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    dLng = (dLng * 180) / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [lng + dLng, lat + dLat];
  }
  function fromGcj(lng, lat) {
    var x = lng, y = lat;
    for (var i = 0; i < 30; i++) {
      var g = toGcj(x, y), dx = g[0] - lng, dy = g[1] - lat;
      x -= dx; y -= dy;
      if (Math.abs(dx) < 1e-9 && Math.abs(dy) < 1e-9) { break; }
    }
    return [x, y];
  }
  var merc = L.Projection.SphericalMercator;
  var projection = {
    bounds: merc.bounds,
    project: function (latlng) { var g = toGcj(latlng.lng, latlng.lat); return merc.project(L.latLng(g[1], g[0])); },
    unproject: function (point) { var ll = merc.unproject(point), w = fromGcj(ll.lng, ll.lat); return L.latLng(w[1], w[0]); }
  };
  L.CRS.GCJ02 = L.extend({}, L.CRS.EPSG3857, {code: 'GCJ02', projection: projection});
})();
