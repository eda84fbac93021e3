// "定位到我" on 今日任务: the browser's position goes into the page's address (?lat=&lon=) so
// the server sorts the households by walking distance from it. Messages are Chinese text.
document.addEventListener('DOMContentLoaded', function () {
  var button = document.getElementById('locate-me'), msg = document.getElementById('locate-msg');
  if (!button) { return; }
  button.addEventListener('click', function () {
    if (!navigator.geolocation) { msg.textContent = '此浏览器不支持定位'; return; }
    msg.textContent = '正在定位…';
    navigator.geolocation.getCurrentPosition(function (p) {
      var url = new URL(button.getAttribute('data-locate-url'), window.location.href);
      url.searchParams.set('lat', p.coords.latitude.toFixed(6));
      url.searchParams.set('lon', p.coords.longitude.toFixed(6));
      window.location.assign(url.toString());
    }, function (e) {
      msg.textContent = e.code === 1 ? '未获得定位权限：请在浏览器设置中允许定位' : '定位失败，请稍后再试';
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });
});
