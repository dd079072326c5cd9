import { API_METHODS, type ApiMethod, type ChangeEvent, type CoachDeskApi } from '../../preload/api.ts';

type Reply = { id: number; result?: unknown; error?: { message: string } };

/**
 * The CoachDesk API over the web shell's local WebSocket, for the renderer when it runs in a
 * browser. The page's URL carries the per-run secret (`?s=…`), which the socket presents.
 */
export function connectWebShellApi(location: { host: string; search: string; protocol: string }): CoachDeskApi {
  const secret = new URLSearchParams(location.search).get('s') ?? '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api?s=${encodeURIComponent(secret)}`;
  const listeners = new Set<(event: ChangeEvent) => void>();
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opened: Promise<WebSocket> | null = null;

  const open = (): Promise<WebSocket> => {
    if (opened) return opened;
    opened = new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        socket = ws;
        resolve(ws);
      };
      ws.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as Reply | { event: ChangeEvent };
        if ('event' in data) {
          for (const listener of listeners) listener(data.event);
          return;
        }
        const pending = waiting.get(data.id);
        if (!pending) return;
        waiting.delete(data.id);
        if (data.error) pending.reject(new Error(data.error.message));
        else pending.resolve(data.result);
      };
      ws.onclose = () => {
        socket = null;
        opened = null;
        for (const pending of waiting.values()) pending.reject(new Error('the connection to CoachDesk was closed; reload the page'));
        waiting.clear();
        reject(new Error('cannot connect to the CoachDesk web shell (is it still running?)'));
        // The host's sync state is worth re-reading once the socket is back.
        setTimeout(() => {
          if (listeners.size) void open().then(() => listeners.forEach((l) => l({ kind: 'data', entities: ['*'] })), () => {});
        }, 1000);
      };
    });
    return opened;
  };

  const call = async (method: ApiMethod, params: unknown[]): Promise<unknown> => {
    const ws = socket ?? (await open());
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  };

  const api = {
    onChange(listener: (event: ChangeEvent) => void) {
      listeners.add(listener);
      void open().catch(() => {});
      return () => listeners.delete(listener);
    },
  } as Partial<CoachDeskApi> as Record<string, unknown>;
  for (const method of API_METHODS) api[method] = (...params: unknown[]) => call(method, params);
  return api as unknown as CoachDeskApi;
}
