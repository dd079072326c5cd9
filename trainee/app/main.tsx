// The trainee app's page: starts the data worker, listens to it, registers the service worker,
// and renders. All data lives in the worker (trainee/worker/worker.ts).
import { createRoot } from 'react-dom/client';
import { rpcClient, type Port } from '../rpc.ts';
import { App } from './App.tsx';
import { parseRoute, useApp } from './state.ts';
import './app.css';

/** The worker's file in the built app (hashed); set by scripts/build-trainee.mjs. */
declare const __WORKER_URL__: string;

/**
 * The service worker caches the shell when it installs. Registered once the data worker has
 * loaded SQLite, so the worker script and the wasm it caches come from the HTTP cache instead of
 * being downloaded a second time on the first visit.
 */
let registered = false;
function registerServiceWorker(): void {
  if (registered || !('serviceWorker' in navigator)) return;
  registered = true;
  void navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((error: unknown) => console.warn('the app will not work offline:', error));
}
setTimeout(registerServiceWorker, 10_000);

const worker = new Worker(__WORKER_URL__, { type: 'module', name: 'coachdesk-data' });
let lastPending = -1;
const rpc = rpcClient(worker as unknown as Port, (event) => {
  const set = useApp.setState;
  if (event.event === 'db') {
    set({ db: event.state, dbMessage: event.message ?? null });
    if (event.state !== 'opening' && event.state !== 'waiting') registerServiceWorker();
  }
  else if (event.event === 'changed') set((s) => ({ version: s.version + 1 }));
  else if (event.event === 'sync') {
    // Acks clear the pending marks of logged sets: read again when the outbox moved.
    const moved = event.sync.pending !== lastPending;
    lastPending = event.sync.pending;
    set((s) => ({ sync: event.sync, version: moved ? s.version + 1 : s.version }));
  }
});
useApp.setState({ rpc });
void rpc.call('status', {}).then(({ db, sync }) => useApp.setState((s) => ({ db: s.db === 'opening' ? db : s.db, sync })));

window.addEventListener('popstate', () => useApp.setState({ route: parseRoute(location.pathname) }));
// Back online, or back to the app: connect now rather than at the next retry.
window.addEventListener('online', () => void rpc.call('syncNow', {}).catch(() => {}));
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void rpc.call('syncNow', {}).catch(() => {});
});

createRoot(document.getElementById('root')!).render(<App />);
