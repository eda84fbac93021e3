/* Selects marked data-autosubmit submit their form when changed. A file rather than
 * onchange="…" attributes: the Content-Security-Policy blocks inline event handlers. */
document.addEventListener('change', function (e) {
  if (e.target.matches && e.target.matches('select[data-autosubmit]')) { e.target.form.submit(); }
});
