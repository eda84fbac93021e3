/* Numbered stop labels that never hide each other's numbers.
 *
 * GridmapStopLabels.spread(map, markers): each marker's icon holds a .gm-stop label centred
 * on the stop. After every zoom, labels whose boxes overlap on screen are pushed apart
 * (a few rounds of pairwise repulsion in pixels) and a thin leader line joins each moved
 * label to its stop, so the number stays readable and the place stays exact. Labels are
 * moved with a CSS transform on the label only: the marker keeps its true position. */
(function (root) {
  'use strict';
  var GAP = 3;  // pixels kept free between two labels

  function boxSize(el) {
    return Math.max(el.offsetWidth || 24, el.offsetHeight || 24) + GAP;
  }

  function layout(map, markers) {
    var items = [];
    markers.forEach(function (m) {
      var icon = m.getElement && m.getElement();
      if (!icon) { return; }
      var label = icon.querySelector('.gm-stop');
      if (!label) { return; }
      var p = map.latLngToContainerPoint(m.getLatLng());
      items.push({icon: icon, label: label, x0: p.x, y0: p.y, dx: 0, dy: 0, size: boxSize(label)});
    });
    for (var round = 0; round < 200; round++) {
      var moved = false;
      for (var i = 0; i < items.length; i++) {
        for (var j = i + 1; j < items.length; j++) {
          var a = items[i], b = items[j];
          var need = (a.size + b.size) / 2;
          var vx = (b.x0 + b.dx) - (a.x0 + a.dx), vy = (b.y0 + b.dy) - (a.y0 + a.dy);
          if (Math.abs(vx) >= need || Math.abs(vy) >= need) { continue; }
          if (Math.abs(vx) < 0.01 && Math.abs(vy) < 0.01) {  // same place: fan out by number
            var angle = (j * 2.399963) % (2 * Math.PI);
            vx = Math.cos(angle); vy = Math.sin(angle);
          }
          // Push along the axis that needs the smaller move (boxes are squares).
          var ox = need - Math.abs(vx), oy = need - Math.abs(vy);
          var sx = vx >= 0 ? 1 : -1, sy = vy >= 0 ? 1 : -1;
          if (ox < oy) { a.dx -= sx * ox / 2 + 0.5 * sx; b.dx += sx * ox / 2 + 0.5 * sx; }
          else { a.dy -= sy * oy / 2 + 0.5 * sy; b.dy += sy * oy / 2 + 0.5 * sy; }
          moved = true;
        }
      }
      if (!moved) { break; }
    }
    items.forEach(function (it) {
      it.label.style.transform = 'translate(' + it.dx.toFixed(1) + 'px,' + it.dy.toFixed(1) + 'px)';
      var leader = it.icon.querySelector('.gm-leader');
      var len = Math.sqrt(it.dx * it.dx + it.dy * it.dy);
      if (len < 1) {
        if (leader) { leader.parentNode.removeChild(leader); }
        return;
      }
      if (!leader) {
        leader = document.createElement('div');
        leader.className = 'gm-leader';
        it.icon.insertBefore(leader, it.icon.firstChild);
      }
      var half = it.icon.offsetWidth / 2 || 12;
      leader.style.cssText = 'position:absolute;left:' + half + 'px;top:' + half + 'px;height:2px;width:' +
        len.toFixed(1) + 'px;background:#1f4e9c;transform-origin:0 50%;transform:rotate(' +
        Math.atan2(it.dy, it.dx).toFixed(4) + 'rad);pointer-events:none';
      it.icon.classList.add('gm-nudged');
    });
  }

  function spread(map, markers) {
    var run = function () { layout(map, markers); };
    map.on('zoomend viewreset resize', run);
    run();
    return run;
  }

  root.GridmapStopLabels = {spread: spread, layout: layout};
})(window);
