/// <reference lib="webworker" />
// The trainee app's service worker (scope /): the app shell is cached at install, so after one
// online visit the app opens, reads and logs with no network. Navigations: the network first
// with a short timeout, else the cached index.html. Hashed files: the cache first (they never
// change). The API, /sync and anything of another origin are never touched.
export {};
declare const self: ServiceWorkerGlobalScope;
/** Set by scripts/build-trainee.mjs: the files to cache, and a version that changes with them. */
declare const __PRECACHE__: string[];
declare const __VERSION__: string;

const CACHE = `coachdesk-trainee-${__VERSION__}`;
const NAVIGATION_TIMEOUT_MS = 2500;
const HASHED = /[.-](?=[A-Za-z0-9]*\d)[A-Za-z0-9]{8,}\.[a-z0-9]+$/;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Files without a hash skip the HTTP cache (`reload`), so the shell cached is the one just
      // deployed; hashed ones never change and may come from it (the page loaded them already).
      await cache.addAll(__PRECACHE__.map((url) => new Request(url, { cache: HASHED.test(url) ? 'default' : 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith('coachdesk-trainee-') && key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

async function fromCache(request: Request | string): Promise<Response | undefined> {
  const cache = await caches.open(CACHE);
  return cache.match(request, { ignoreSearch: true });
}

/** index.html from the network if it answers soon, else from the cache. */
async function navigation(request: Request): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), NAVIGATION_TIMEOUT_MS);
  try {
    const response = await fetch(request, { signal: controller.signal });
    if (response.ok) return response;
    throw new Error(`status ${response.status}`);
  } catch {
    const cached = await fromCache('/index.html');
    if (cached) return cached;
    return new Response('CoachDesk is offline and not yet saved on this phone: open it once with a connection.', {
      status: 503,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The cache first; what is not cached comes from the network (and is cached when it is ours). */
async function asset(request: Request, path: string): Promise<Response> {
  const cached = await fromCache(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && (HASHED.test(path) || __PRECACHE__.includes(path))) {
    const copy = response.clone();
    void caches.open(CACHE).then((c) => c.put(request, copy));
  }
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (path === '/sync' || path.startsWith('/api/') || path === '/healthz') return;
  if (request.mode === 'navigate') return event.respondWith(navigation(request));
  const last = path.slice(path.lastIndexOf('/') + 1);
  // A route fetched without being a navigation (rare): the shell too.
  if (!last.includes('.')) return event.respondWith(navigation(request));
  event.respondWith(asset(request, path));
});
