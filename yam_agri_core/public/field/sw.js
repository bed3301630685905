/* Service worker of the field page, served as /field/sw.js (scope /field) by
 * yam_agri_core.field.page.FieldFileRenderer, which fills in the version and the shell's URLs.
 * The shell (page, script, style, manifest, icons) is cached at install; the page is answered from the
 * cache at once and refreshed in the background; API calls always go to the network. */
"use strict";

var VERSION = "__VERSION__";
var CACHE = "yam-field-" + VERSION;
var SHELL = __SHELL__;
var PAGE = SHELL[0];

self.addEventListener("install", function (event) {
	event.waitUntil(
		caches
			.open(CACHE)
			.then(function (cache) {
				return cache.addAll(SHELL);
			})
			.then(function () {
				return self.skipWaiting();
			})
	);
});

self.addEventListener("activate", function (event) {
	event.waitUntil(
		caches
			.keys()
			.then(function (keys) {
				return Promise.all(
					keys
						.filter(function (key) {
							return key.indexOf("yam-field-") === 0 && key !== CACHE;
						})
						.map(function (key) {
							return caches.delete(key);
						})
				);
			})
			.then(function () {
				return self.clients.claim();
			})
	);
});

self.addEventListener("fetch", function (event) {
	var request = event.request;
	if (request.method !== "GET") return;
	var url = new URL(request.url);
	if (url.origin !== self.location.origin) return;
	if (url.pathname === PAGE || url.pathname === PAGE + "/") {
		event.respondWith(page(event));
	} else if (SHELL.indexOf(url.pathname + url.search) !== -1) {
		event.respondWith(
			caches.match(request).then(function (cached) {
				return cached || fetch(request);
			})
		);
	}
});

/* Stale while revalidate: the cached page at once, the network's copy kept for the next visit. */
function page(event) {
	return caches.open(CACHE).then(function (cache) {
		var fresh = fetch(event.request)
			.then(function (response) {
				if (response.ok && !response.redirected) cache.put(PAGE, response.clone());
				return response;
			})
			.catch(function () {
				return null;
			});
		return cache.match(PAGE).then(function (cached) {
			if (cached) {
				event.waitUntil(fresh);
				return cached;
			}
			return fresh.then(function (response) {
				return response || new Response("", { status: 503, statusText: "Offline" });
			});
		});
	});
}
