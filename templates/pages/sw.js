/* gridmap service worker (served by layers/pages/views/offline.py at /sw.js, scope /).
 * Keeps the app shell for work without signal: static files cache-first, pages
 * network-first with the last copy as fallback. Only GETs of this origin are touched;
 * forms sent offline are queued by static/gridmap/offline.js, not here. */
'use strict';
var VERSION = 'gridmap-{{ version }}';
var STATIC_URLS = {{ static_json|safe }};
var PAGES = {{ pages_json|safe }};
var STATIC_PREFIX = {{ static_prefix|safe }};
var NEVER = {{ never_json|safe }};
var LOGOUT = {{ logout_json|safe }};

function keep(cache, url) {
  // One by one: a page this user may not open (403) or a redirect to the login is skipped,
  // never stored, and does not stop the rest.
  return fetch(url, {credentials: 'same-origin', cache: 'no-cache'}).then(function (r) {
    if (r.ok && !r.redirected && r.type === 'basic') { return cache.put(url, r); }
  }).catch(function () {});
}

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) {
    return Promise.all(STATIC_URLS.concat(PAGES).map(function (u) { return keep(cache, u); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf('gridmap-') === 0 && n !== VERSION; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// offline.js asks for pages to keep (the household pages listed on 我的网格).
self.addEventListener('message', function (event) {
  var data = event.data || {};
  if (data.type === 'keep' && Array.isArray(data.urls)) {
    var urls = data.urls.filter(function (u) {
      return typeof u === 'string' && u.charAt(0) === '/' && u.charAt(1) !== '/';
    }).slice(0, 300);
    event.waitUntil(caches.open(VERSION).then(function (cache) {
      return Promise.all(urls.map(function (u) { return keep(cache, u); }));
    }));
  }
});

function excluded(path) {
  return NEVER.some(function (p) { return path.indexOf(p) === 0; });
}

// Logging out: the pages kept here show this user's households and cases; drop them (the
// static files stay). The logout itself goes to the network untouched.
function dropPages() {
  return caches.open(VERSION).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.filter(function (r) {
        return new URL(r.url).pathname.indexOf(STATIC_PREFIX) !== 0;
      }).map(function (r) { return cache.delete(r); }));
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method === 'POST' && url.origin === self.location.origin && url.pathname === LOGOUT) {
    event.waitUntil(dropPages());
    return;
  }
  if (request.method !== 'GET') { return; }
  if (url.origin !== self.location.origin || excluded(url.pathname)) { return; }
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(caches.open(VERSION).then(function (cache) {
      return cache.match(request, {ignoreSearch: true, ignoreVary: true}).then(function (hit) {
        return hit || fetch(request).then(function (r) {
          if (r.ok && r.type === 'basic') { cache.put(request, r.clone()); }
          return r;
        });
      });
    }));
    return;
  }
  var page = request.mode === 'navigate' || (request.headers.get('Accept') || '').indexOf('text/html') !== -1;
  if (!page) { return; }
  event.respondWith(fetch(request).then(function (r) {
    if (r.ok && !r.redirected && r.type === 'basic') {
      var copy = r.clone();
      caches.open(VERSION).then(function (cache) { cache.put(request, copy); });
    }
    return r;
  }).catch(function () {
    return caches.open(VERSION).then(function (cache) {
      return cache.match(request, {ignoreVary: true}).then(function (hit) {
        return hit || cache.match(request, {ignoreSearch: true, ignoreVary: true});
      });
    }).then(function (hit) {
      return hit || new Response(
        '<!DOCTYPE html><html lang="zh-Hans"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
        '<title>离线</title><body><p>当前没有网络，此页面尚未保存在本机。请联网后再打开。</p><p><a href="/">返回首页</a></p></body></html>',
        {status: 503, headers: {'Content-Type': 'text/html; charset=utf-8'}});
    });
  }));
});
