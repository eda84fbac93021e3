/* 巡防热点: "定位" fills the latitude and longitude from the browser's geolocation and chooses
 * 我的位置 as the start; the server validates the numbers (a typed position works too). */
(function () {
  'use strict';
  var button = document.getElementById('locate');
  if (!button) { return; }
  var status = document.getElementById('locate-status');
  var say = function (text) { if (status) { status.textContent = text; } };
  button.addEventListener('click', function () {
    if (!navigator.geolocation) { say('此浏览器不能定位，请手动填写纬度和经度'); return; }
    say('正在定位…');
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById('lat').value = pos.coords.latitude.toFixed(6);
      document.getElementById('lon').value = pos.coords.longitude.toFixed(6);
      document.getElementById('start-select').value = 'here';
      say('已定位（精度约 ' + Math.round(pos.coords.accuracy) + ' 米）');
    }, function () {
      say('定位失败：请允许浏览器使用位置，或手动填写纬度和经度');
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });
})();
