import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_METHODS, type ApiMethod, type ChangeEvent, type CoachDeskApi } from '../../preload/api.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws://127.0.0.1:*; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface WebShellOptions {
  /** The host services: every API method but the subscription, plus onChange. */
  host: Omit<CoachDeskApi, 'onChange'> & { onChange(listener: (event: ChangeEvent) => void): () => void };
  /** The built renderer (index.html, app.js, app.css). */
  rendererDir: string;
  port?: number;
  log?: (line: string) => void;
}

function sameSecret(given: string | null, secret: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The browser shell: serves the built renderer on 127.0.0.1 and bridges the CoachDesk API over
 * a local WebSocket. Only a page opened with this run's secret, from this origin, can drive it.
 */
export class WebShell {
  readonly secret = randomBytes(24).toString('base64url');
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly unsubscribe: () => void;
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly opts: WebShellOptions) {
    this.http = createServer((req, res) => {
      void this.serveFile(req).then(
        ({ status, type, body }) => {
          res.writeHead(status, { 'content-type': type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
          res.end(body);
        },
        () => res.writeHead(500).end('internal error'),
      );
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/api' || !sameSecret(url.searchParams.get('s'), this.secret) || req.headers.origin !== this.origin) {
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
    this.unsubscribe = opts.host.onChange((event) => {
      const frame = JSON.stringify({ event });
      for (const ws of this.sockets) ws.send(frame);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    return this.url;
  }

  private get origin(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  /** The address to open, secret included. */
  get url(): string {
    return `${this.origin}/?s=${this.secret}`;
  }

  async close(): Promise<void> {
    this.unsubscribe();
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private async serveFile(req: IncomingMessage): Promise<{ status: number; type: string; body: Buffer | string }> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET') return { status: 405, type: 'text/plain', body: 'GET only' };
    let path = url.pathname;
    if (path === '/') {
      if (!sameSecret(url.searchParams.get('s'), this.secret)) {
        return { status: 403, type: 'text/plain; charset=utf-8', body: 'CoachDesk: open the address the web shell printed (it carries this run\'s secret).\n' };
      }
      path = '/index.html';
    }
    const file = normalize(join(this.opts.rendererDir, path));
    if (!file.startsWith(normalize(this.opts.rendererDir)) || !TYPES[extname(file)]) return { status: 404, type: 'text/plain', body: 'not found' };
    try {
      return { status: 200, type: TYPES[extname(file)]!, body: await readFile(file) };
    } catch {
      return { status: 404, type: 'text/plain', body: 'not found' };
    }
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => void this.call(ws, data.toString()));
  }

  private async call(ws: WebSocket, text: string): Promise<void> {
    let id: unknown;
    try {
      const message = JSON.parse(text) as { id: unknown; method: unknown; params: unknown };
      id = message.id;
      if (!API_METHODS.includes(message.method as ApiMethod) || !Array.isArray(message.params)) throw new Error(`unknown call ${String(message.method)}`);
      const method = this.opts.host[message.method as ApiMethod] as (...args: unknown[]) => Promise<unknown>;
      const result = await method.apply(this.opts.host, message.params);
      ws.send(JSON.stringify({ id, result: result ?? null }));
    } catch (error) {
      this.opts.log?.(`api call failed: ${(error as Error).message}`);
      ws.send(JSON.stringify({ id, error: { message: (error as Error).message } }));
    }
  }
}
