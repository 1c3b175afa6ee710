// The service worker of the pages that work without a signal (egov.views.offline), served at
// /services/offline-worker.js so its scope is /services/. It keeps two things: each such form page
// (network first, the kept copy when there is no network) and the static files those pages load
// (kept first: their URLs carry a content hash, so a kept copy is never stale). Nothing else is
// touched: every other page and every POST goes to the network as usual.
"use strict";
var CACHE = "village-square-offline-v1";
var FORM_PAGE = /^\/services\/[^/]+\/offline$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf("village-square-offline-") === 0 && name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (kept) {
        return kept || fetch(request).then(function (response) {
          if (response.ok) { cache.put(request, response.clone()); }
          return response;
        });
      });
    }));
  } else if (FORM_PAGE.test(url.pathname)) {
    var page = url.origin + url.pathname;  // one copy per form, whatever the query
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(page, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(page); }).then(function (kept) {
        return kept || Response.error();
      });
    }));
  }
});
