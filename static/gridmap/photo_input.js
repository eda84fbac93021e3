/* Photo inputs (templates/pages/_photo_input.html): the browser's own "Choose Files / No file
   chosen" is replaced by a Chinese button (the label) and a count of the photos chosen. */
(function () {
  'use strict';
  function update(input) {
    var out = document.getElementById(input.id + '-chosen');
    if (!out) { return; }
    var n = input.files ? input.files.length : 0;
    out.textContent = n ? ('已选 ' + n + ' 张照片') : '未选择照片';
  }
  function isPhotoInput(el) { return el && el.matches && el.matches('input[type=file][name=photos]'); }
  document.addEventListener('change', function (e) { if (isPhotoInput(e.target)) { update(e.target); } });
  // A form reset (the offline queue empties the form) empties the count too.
  document.addEventListener('reset', function (e) {
    setTimeout(function () { e.target.querySelectorAll('input[type=file][name=photos]').forEach(update); }, 0);
  }, true);
}());
