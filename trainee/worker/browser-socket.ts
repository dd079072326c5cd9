/// <reference lib="webworker" />
// The engine's connection in the trainee app's worker: the browser's WebSocket behind the
// EngineSocket interface (the subset of `ws` the engine uses). Browsers answer the server's
// pings themselves and never show them, so no 'ping' event is ever emitted.
import { Emitter } from '../../sync/emitter.ts';
import type { EngineSocket } from '../../sync/sync-engine.ts';

const CLOSED = 3;

class BrowserSocket extends Emitter {
  private ws: WebSocket | undefined;
  private closedCode: number | undefined;

  constructor(url: string) {
    super();
    try {
      this.ws = new WebSocket(url);
    } catch (error) {
      // A URL the browser refuses: the same as a connection that failed at once.
      this.closedCode = 1006;
      setTimeout(() => {
        this.emit('error', error instanceof Error ? error : new Error(String(error)));
        this.emit('close', 1006, '');
      }, 0);
      return;
    }
    const ws = this.ws;
    ws.addEventListener('open', () => this.emit('open'));
    ws.addEventListener('message', (e: MessageEvent) => {
      // Text frames only in this protocol; a binary one is passed on as text for the engine to refuse.
      this.emit('message', typeof e.data === 'string' ? e.data : String(e.data));
    });
    ws.addEventListener('error', () => this.emit('error', new Error('the connection failed')));
    ws.addEventListener('close', (e: CloseEvent) => {
      this.closedCode = e.code;
      this.emit('close', e.code, e.reason);
    });
  }

  get readyState(): number {
    return this.ws ? this.ws.readyState : CLOSED;
  }

  send(data: string): void {
    this.ws?.send(data);
  }

  close(code?: number, reason?: string): void {
    if (!this.ws || this.closedCode !== undefined) return;
    // Browsers accept 1000 and 3000–4999 only.
    const ok = code === 1000 || (code !== undefined && code >= 3000 && code <= 4999);
    this.ws.close(ok ? code : 1000, reason);
  }

  terminate(): void {
    this.close(1000, 'closing');
  }
}

/** Opens `url` (ws:// or wss://) with the browser's WebSocket. */
export const openBrowserSocket = (url: string): EngineSocket => new BrowserSocket(url) as unknown as EngineSocket;

/** The sync URL of the page's own origin: ws(s)://<host>/sync. */
export function syncUrlOf(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`;
}
