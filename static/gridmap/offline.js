/* Work without signal (layers/pages/views/offline.py describes the whole).
 *
 * - Registers the service worker (/sw.js) that keeps the app shell for offline use.
 * - Forms marked data-offline (上报事件, 新增走访) get a client-made id (client_id) before they
 *   leave; the server stores a report or visit once per id, however often it arrives.
 * - Offline, such a form is kept in IndexedDB (photos as blobs) instead of being sent; the
 *   header shows "待上传 N 条". When the connection returns (the online event, or the next
 *   page opened online) each one is sent again with the CSRF token of that moment (the
 *   csrftoken cookie, readable by scripts: CSRF_COOKIE_HTTPONLY is off and the token is not
 *   kept in the session) and removed once the server answered.
 * - Queued items belong to the user who made them: another login on the same phone does not
 *   send them in its own name. Logging out drops the cached pages (templates/pages/sw.js).
 */
(function () {
  'use strict';
  var badge = document.getElementById('offline-queue');
  if (!badge) { return; }
  var USER = badge.getAttribute('data-user') || '';
  var DB_NAME = 'gridmap-offline', STORE = 'queue';
  var flushing = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: 'id'}); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), store = t.objectStore(STORE), out = work(store);
        t.oncomplete = function () { db.close(); resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function mine() {
    return tx('readonly', function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (i) { return i.user === USER; })
        .sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : 1; });
    });
  }

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }

  function show() {
    return mine().then(function (items) {
      badge.setAttribute('data-count', String(items.length));
      badge.querySelector('.n').textContent = String(items.length);
      badge.querySelector('.off').hidden = navigator.onLine;
      badge.hidden = items.length === 0 && navigator.onLine;
      var list = document.getElementById('offline-queue-list');
      if (!list) { return; }
      list.replaceChildren();
      items.forEach(function (item) {
        var li = document.createElement('li');
        li.appendChild(text('span', item.label + ' · ' + new Date(item.queued_at).toLocaleString('zh-CN')));
        if (item.error) {
          li.appendChild(text('span', '未能上传：' + item.error, 'err'));
          var drop = text('button', '放弃此条');
          drop.type = 'button';
          drop.addEventListener('click', function () {
            tx('readwrite', function (s) { s.delete(item.id); }).then(show);
          });
          li.appendChild(drop);
        }
        list.appendChild(li);
      });
    }).catch(function () {});
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var input = document.querySelector('input[name=csrfmiddlewaretoken]');
    return input ? input.value : '';
  }

  function note(form, message) {
    var p = form.parentNode.querySelector('.offline-note');
    if (!p) { p = text('p', '', 'offline-note'); form.parentNode.insertBefore(p, form.nextSibling); }
    p.textContent = message;
  }

  function enqueue(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name === 'csrfmiddlewaretoken' || name === 'queued_at') { return; } // stale by the time it is sent: the cookie's is used
      if (value instanceof File && !value.name && value.size === 0) { return; } // an empty file input
      fields.push([name, value]);
    });
    var now = new Date().toISOString();
    fields.push(['queued_at', now]);
    var item = {
      id: form.querySelector('input[name=client_id]').value, user: USER, url: form.action,
      kind: form.getAttribute('data-offline'), label: form.getAttribute('data-offline-label') || document.title,
      queued_at: now, fields: fields, error: ''
    };
    return tx('readwrite', function (s) { s.put(item); }).then(function () {
      form.reset();
      form.querySelector('input[name=client_id]').value = '';
      note(form, '当前没有网络：已保存在本机，联网后自动上传。');
      return show();
    });
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.matches || !form.matches('form[data-offline]')) { return; }
    var id = form.querySelector('input[name=client_id]');
    if (!id) { return; }
    if (!id.value) { id.value = uuid(); }
    if (navigator.onLine) { return; } // sent as usual; the id makes a second sending harmless
    event.preventDefault();
    enqueue(form).catch(function () { note(form, '无法保存在本机（浏览器存储不可用），请联网后再提交。'); });
  }, true);

  function send(item, retried) {
    var body = new FormData();
    item.fields.forEach(function (f) { body.append(f[0], f[1]); });
    return fetch(item.url, {
      method: 'POST', body: body, credentials: 'same-origin', redirect: 'manual',
      headers: {'Accept': 'application/json', 'X-CSRFToken': csrfToken()}
    }).then(function (r) {
      if (r.ok) { return tx('readwrite', function (s) { s.delete(item.id); }).then(function () { return 'sent'; }); }
      if (r.type === 'opaqueredirect') { return 'login'; } // the session ended: wait for a login
      if (r.status === 403 && !retried) {
        // A new login rotated the CSRF token: open a page to get the current cookie, once.
        return fetch(location.pathname, {credentials: 'same-origin'}).then(function () { return send(item, true); });
      }
      if (r.status === 400 || r.status === 403 || r.status === 404) {
        return r.json().catch(function () { return {}; }).then(function (d) {
          item.error = d.error || ('服务器拒绝（' + r.status + '）');
          return tx('readwrite', function (s) { s.put(item); }).then(function () { return 'refused'; });
        });
      }
      return 'later'; // 5xx: try again later
    });
  }

  function flush() {
    if (flushing || !navigator.onLine) { return Promise.resolve(); }
    flushing = true;
    return mine().then(function (items) {
      var waiting = items.filter(function (i) { return !i.error; });
      var chain = Promise.resolve('sent');
      waiting.forEach(function (item) {
        chain = chain.then(function (state) { return state === 'sent' || state === 'refused' ? send(item) : state; });
      });
      return chain;
    }).then(function (state) {
      if (state === 'login') { badge.title = '登录已过期：请重新登录，待上传的记录会自动上传'; }
    }).catch(function () { /* offline again: the items stay */ }).then(function () {
      flushing = false;
      return show();
    });
  }

  window.addEventListener('online', flush);
  window.addEventListener('offline', show);
  window.addEventListener('online', show);
  setInterval(function () { if (badge.getAttribute('data-count') !== '0') { flush(); } }, 30000);
  badge.addEventListener('click', function () {
    var list = document.getElementById('offline-queue-list');
    if (list) { list.hidden = !list.hidden; }
  });

  if ('serviceWorker' in navigator && badge.getAttribute('data-sw')) {
    navigator.serviceWorker.register(badge.getAttribute('data-sw'), {scope: '/'}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      // Keep the household and case pages this page links to (我的网格 lists the worker's).
      var urls = Array.prototype.map.call(document.querySelectorAll('a[href]'), function (a) {
        return a.getAttribute('href');
      }).filter(function (h) { return /^\/(households|incidents)\/\d+\/$/.test(h); });
      if (urls.length && navigator.onLine && reg.active) { reg.active.postMessage({type: 'keep', urls: urls}); }
      document.documentElement.setAttribute('data-offline-ready', '1');
    }).catch(function () {});
  }

  show().then(flush);
})();
