// Field mode's service worker, served at /sw.js so that its scope is the whole site
// (docs/field-mode.md). It keeps only what holds no case data:
// - pages `/field/` and `/cases/new/`: network first, the cached copy when offline;
// - `/static/...`: cache first;
// - `/api/v1/field/geography/`: network first, cached; offline it also answers the dependent
//   selects (`/geo/provinces|districts|communities/?parent=X`).
// Every other page and `/api/` answer goes to the network untouched and is never cached.
// Nothing is cached before a trip is prepared: the field page creates the cache ("Preparar
// salida") and wipes it at the end of the trip, after 5 wrong PINs, or for another user.
"use strict";

var CACHE = "warmi-field-v1";
var PAGES = ["/field/", "/cases/new/"];
var GEOGRAPHY = "/api/v1/field/geography/";
var GEO = { "/geo/provinces/": "provinces", "/geo/districts/": "districts",
  "/geo/communities/": "communities" };

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function preparedCache() {
  return caches.has(CACHE).then(function (there) { return there ? caches.open(CACHE) : null; });
}

// Keep a fresh copy only of what the trip already holds, and never a redirect or an error
// (an expired session answers the login page).
function refresh(request, response) {
  if (!response.ok || response.redirected || response.type !== "basic") { return; }
  var copy = response.clone();
  preparedCache().then(function (cache) {
    if (!cache) { return; }
    return cache.match(request, { ignoreVary: true }).then(function (old) {
      if (old) { return cache.put(request, copy); }
    });
  });
}

// caches.match, not caches.open: opening would create the cache again after a wipe.
function fromCache(request) {
  return caches.match(request, { cacheName: CACHE, ignoreVary: true });
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    refresh(request, response);
    return response;
  }, function (error) {
    return fromCache(request).then(function (cached) {
      if (cached) { return cached; }
      throw error;
    });
  });
}

function cacheFirst(request) {
  return fromCache(request).then(function (cached) {
    if (cached) { return cached; }
    return fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        preparedCache().then(function (cache) { if (cache) { cache.put(request, copy); } });
      }
      return response;
    });
  });
}

function json(value) {
  return new Response(JSON.stringify(value), {
    headers: { "Content-Type": "application/json" }
  });
}

// The dependent selects: the network, else the options of the cached geography.
function geoOptions(request, level, parent) {
  return fetch(request).catch(function (error) {
    return fromCache(GEOGRAPHY).then(function (cached) {
      if (!cached) { throw error; }
      return cached.json().then(function (geography) {
        return json({ options: (geography[level] || {})[parent] || [] });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var path = url.pathname;
  if (path.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  } else if (path === GEOGRAPHY) {
    event.respondWith(networkFirst(request));
  } else if (GEO[path]) {
    event.respondWith(geoOptions(request, GEO[path], url.searchParams.get("parent") || ""));
  } else if (request.mode === "navigate" && PAGES.indexOf(path) !== -1) {
    event.respondWith(networkFirst(request));
  }
  // Anything else: the browser's own fetch, never cached.
});
