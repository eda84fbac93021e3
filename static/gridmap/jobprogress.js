/* The progress box of a background job (templates/jobs/progress.html): asks /jobs/<id>/
 * every two seconds and shows state, progress and message; reloads the page when the job is
 * done (data-reload="done") or has ended either way (data-reload="finished"). A file rather
 * than an inline script: the Content-Security-Policy wants scripts from the app or with a nonce. */
(function () {
  var box = document.getElementById('job');
  if (!box || box.dataset.finished === '1') { return; }
  var timer = setInterval(function () {
    fetch(box.dataset.url, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (j) {
      document.getElementById('job-state').textContent = j.state_label;
      document.getElementById('job-progress').value = j.progress;
      document.getElementById('job-message').textContent = j.state === 'done' ? (j.result.summary || '') : j.message;
      if (j.finished) {
        clearInterval(timer);
        if (j.state === 'done' || box.dataset.reload === 'finished') { window.location.reload(); }
      }
    });
  }, 2000);
})();
