// Arobase's service worker (source). scripts/sw-build.mjs bundles it with esbuild into one file
// with no import of any kind, then Workbox's injectManifest replaces self.__WB_MANIFEST with the
// list of every file of the build and its revision. Never edit dist/sw.js: it is generated.
//
// What it guarantees:
// - every build file (hashed JS, wasm, CSS, index.html, manifest, icons, favicon) is precached at
//   install, so the whole app opens and works without network;
// - navigations go to the network first and fall back to the cached index.html (offline, or the
//   network silent for NAVIGATION_TIMEOUT_MS), so any deep link opens offline;
// - hashed assets are served cache first (their name changes with their content);
// - /api/* is never cached, except the reference data listed in OFFLINE_REFERENCE_DATA
//   (stale-while-revalidate);
// - a new version waits: it takes over only when the page posts SKIP_WAITING (the user tapped
//   « Mettre à jour »). Answers live in localStorage, which no cache operation touches.
import { precacheAndRoute, cleanupOutdatedCaches, matchPrecache } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { CacheFirst, StaleWhileRevalidate } from 'workbox-strategies';
import { clientsClaim } from 'workbox-core';

/* global __BUILD_ID__ */
/** Digest of the precache list, set by sw-build.mjs: it names this version's runtime caches. */
const BUILD_ID = __BUILD_ID__;
const PREFIX = 'arobase-';
const ASSETS_CACHE = `${PREFIX}assets-${BUILD_ID}`;
const REFERENCE_CACHE = `${PREFIX}reference-${BUILD_ID}`;

/**
 * API paths whose answers are reference data worth having offline (the questionnaire, the host's
 * details for the privacy, legal and accessibility notices; later the peer aggregates): served from cache at once, refreshed from the network in the background.
 * Any other /api/ request goes to the network only and is never stored.
 */
const OFFLINE_REFERENCE_DATA = ['/api/questionnaire', '/api/host'];

/** Beyond this wait a navigation is answered from the cache: a weak signal must not block the app. */
const NAVIGATION_TIMEOUT_MS = 4000;

/** Trunk's content-hashed names: `name-<hex>.ext` or `name-<hex>_bg.wasm`. Trunk writes the 64-bit
 *  hash without leading zeros, so it is 16 hex digits long or, now and then, a little shorter. */
const HASHED = /-[0-9a-f]{12,16}(?:_bg)?\.[a-z0-9]+$/;

const isReferenceData = (pathname) =>
  OFFLINE_REFERENCE_DATA.some((p) => pathname === p || pathname.startsWith(`${p}/`));

// On first install the page that registered the worker is controlled at once (so its reference
// data gets cached); on updates this only happens after SKIP_WAITING.
clientsClaim();

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

// 1. Navigations: network first, cached index.html as the fallback. Registered before the
//    precache route so that `/` and deep links never come from the cache while online.
async function navigationHandler({ request }) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), NAVIGATION_TIMEOUT_MS);
  try {
    const response = await fetch(request, { signal: abort.signal });
    // A failing server or proxy (5xx) is no better than no network: the cached app is.
    if (response.status < 500) return response;
    return (await matchPrecache('/index.html')) ?? response;
  } catch (error) {
    const cached = await matchPrecache('/index.html');
    if (cached) return cached;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
registerRoute(
  ({ request, url }) => request.mode === 'navigate' && !url.pathname.startsWith('/api/'),
  navigationHandler,
);

// 2. The build's files, cache first (Workbox fetches them all at install and, at activate,
//    deletes the entries that the new list no longer names). No directory index or clean URLs:
//    those would answer navigations from the cache, which rule 1 must decide.
precacheAndRoute(self.__WB_MANIFEST, { directoryIndex: null, cleanURLs: false });
cleanupOutdatedCaches();

// 3. Hashed files a newer page asked for before its own worker took over: cache first too, in a
//    cache of this version only.
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && !url.pathname.startsWith('/api/') && HASHED.test(url.pathname),
  new CacheFirst({ cacheName: ASSETS_CACHE }),
);

// 4. Offline-worthy reference data: stale-while-revalidate (only 200 answers are stored).
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && isReferenceData(url.pathname),
  new StaleWhileRevalidate({ cacheName: REFERENCE_CACHE }),
);

// Everything else (the rest of /api/, other origins — which the app never calls) has no route:
// the browser fetches it as if there were no worker.

// Versioned runtime caches: at activation, the caches of older versions go. Reference data is
// carried over first, so an update taken just before going offline does not lose it.
self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const current = new Set([ASSETS_CACHE, REFERENCE_CACHE]);
      const older = (await caches.keys()).filter((name) => name.startsWith(PREFIX) && !current.has(name));
      const reference = await caches.open(REFERENCE_CACHE);
      for (const name of older.filter((n) => n.startsWith(`${PREFIX}reference-`))) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
          if (await reference.match(request)) continue;
          const response = await cache.match(request);
          if (response) await reference.put(request, response);
        }
      }
      await Promise.all(older.map((name) => caches.delete(name)));
    })(),
  );
});
