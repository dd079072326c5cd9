import { API_METHODS, MAX_REQUEST_BYTES, type ApiError, type ApiMethod, type ApiReply, type ChangeEvent, type CoachDeskApi } from '../../preload/api.ts';

type Reply = ApiReply & { id: number | null };

/** An error from the host, with its code and the parameter it names. */
export function apiError(error: ApiError): Error & ApiError {
  return Object.assign(new Error(error.message), error);
}

const LOST = 'CoachDesk’s host is not answering (was the app stopped?): your last change may not be saved. Reconnecting…';

/**
 * The CoachDesk API over the web shell's local WebSocket, for the renderer when it runs in a
 * browser. The page's URL carries the per-run secret (`?s=…`), which the socket presents. When
 * the socket drops, listeners hear `{kind: 'host', connected: false}` at once (the page must not
 * go on claiming "Synced"), and the bridge reconnects on its own.
 */
export function connectWebShellApi(location: { host: string; search: string; protocol: string }): CoachDeskApi {
  const secret = new URLSearchParams(location.search).get('s') ?? '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api?s=${encodeURIComponent(secret)}`;
  const listeners = new Set<(event: ChangeEvent) => void>();
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const emit = (event: ChangeEvent) => listeners.forEach((l) => l(event));
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opened: Promise<WebSocket> | null = null;
  let lost = false;
  let retries = 0;

  const open = (): Promise<WebSocket> => {
    if (opened) return opened;
    opened = new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        socket = ws;
        retries = 0;
        resolve(ws);
        if (lost) {
          lost = false;
          emit({ kind: 'host', connected: true });
          // What changed while the page was cut off: re-read everything.
          emit({ kind: 'data', entities: ['*'] });
        }
      };
      ws.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as Reply | { event: ChangeEvent };
        if ('event' in data) return emit(data.event);
        const pending = data.id === null ? undefined : waiting.get(data.id);
        if (!pending) return;
        waiting.delete(data.id!);
        if (data.ok) pending.resolve(data.value);
        else pending.reject(apiError(data.error));
      };
      ws.onclose = (event) => {
        const wasOpen = socket === ws;
        socket = null;
        opened = null;
        const why = event.code === 1009 ? 'a request was too large for CoachDesk' : LOST;
        for (const pending of waiting.values()) pending.reject(apiError({ code: 'host_lost', message: why }));
        waiting.clear();
        reject(apiError({ code: 'host_lost', message: 'cannot connect to the CoachDesk web shell (is it still running?)' }));
        if (wasOpen || !lost) {
          lost = true;
          emit({ kind: 'host', connected: false, message: why });
        }
        const delay = Math.min(5000, 500 * 2 ** retries++);
        setTimeout(() => {
          if (listeners.size) void open().catch(() => {});
        }, delay);
      };
    });
    return opened;
  };

  const call = async (method: ApiMethod, params: unknown[]): Promise<unknown> => {
    const id = nextId++;
    const text = JSON.stringify({ id, method, params });
    // UTF-16 units bound the UTF-8 bytes from below and a third of them from above: count
    // bytes only when that leaves it open.
    if (text.length > MAX_REQUEST_BYTES || (text.length * 3 > MAX_REQUEST_BYTES && new Blob([text]).size > MAX_REQUEST_BYTES)) {
      throw apiError({ code: 'too_large', message: `this request is ${(text.length / 2 ** 20).toFixed(1)} MB; CoachDesk takes at most ${MAX_REQUEST_BYTES / 2 ** 20} MB per request (was something very large pasted?)` });
    }
    const ws = socket ?? (await open());
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      ws.send(text);
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
