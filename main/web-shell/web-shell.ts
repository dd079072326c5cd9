import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_REQUEST_BYTES, type ApiReply, type ChangeEvent } from '../../preload/api.ts';
import { CONTENT_TYPES } from '../desktop/app-protocol.ts';
import { callHost, type HostApi } from '../host/api-boundary.ts';
import { FairQueue } from './fair-queue.ts';


const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Past this a message is not even read: ws closes the socket (1009) and the page reconnects. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Calls waiting per page before its socket is paused. */
const QUEUE_HIGH_WATER = 64;

export interface WebShellOptions {
  /** The host services: every API method but the subscription, plus onChange. */
  host: HostApi & { onChange(listener: (event: ChangeEvent) => void): () => void };
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

/** The id a request carries, read from its start (an oversized request is not parsed whole). */
function requestId(text: string): number | null {
  const m = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*[,}]/.exec(text.slice(0, 64));
  return m ? Number(m[1]) : null;
}

const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/**
 * The browser shell: serves the built renderer on 127.0.0.1 and bridges the CoachDesk API over
 * a local WebSocket. Only a page opened with this run's secret, from this port on the loopback
 * (127.0.0.1 or localhost), can drive it. Every call goes through the host's boundary checks;
 * pages take turns, so one flooding its socket cannot starve another.
 */
export class WebShell {
  readonly secret = randomBytes(24).toString('base64url');
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly unsubscribe: () => void;
  private readonly sockets = new Set<WebSocket>();
  private readonly queue = new FairQueue<WebSocket>({ highWater: QUEUE_HIGH_WATER, pause: (ws) => ws.pause(), resume: (ws) => ws.resume() });

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
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/api' || !sameSecret(url.searchParams.get('s'), this.secret) || !this.isOurs(req.headers.origin) || !this.isOurHost(req.headers.host)) {
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

  private get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** The origins a page of ours has: both spellings of the loopback, on our port. */
  private get origins(): string[] {
    return [`http://127.0.0.1:${this.port}`, `http://localhost:${this.port}`];
  }

  private isOurs(origin: string | undefined): boolean {
    return !!origin && this.origins.includes(origin);
  }

  /** A Host header naming another name is a page that reached us by DNS rebinding. */
  private isOurHost(host: string | undefined): boolean {
    return !!host && (host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}`);
  }

  /** The address to open, secret included. */
  get url(): string {
    return `${this.origins[0]}/?s=${this.secret}`;
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
    if (!this.isOurHost(req.headers.host)) return { status: 403, type: 'text/plain; charset=utf-8', body: `CoachDesk: open ${this.origins[0]} (this address is not ours).\n` };
    let path = url.pathname;
    if (path === '/') {
      if (!sameSecret(url.searchParams.get('s'), this.secret)) {
        return { status: 403, type: 'text/plain; charset=utf-8', body: "CoachDesk: open the address the web shell printed (it carries this run's secret).\n" };
      }
      path = '/index.html';
    }
    const file = normalize(join(this.opts.rendererDir, path));
    if (!file.startsWith(normalize(this.opts.rendererDir)) || !CONTENT_TYPES[extname(file)]) return { status: 404, type: 'text/plain', body: 'not found' };
    try {
      return { status: 200, type: CONTENT_TYPES[extname(file)]!, body: await readFile(file) };
    } catch {
      return { status: 404, type: 'text/plain', body: 'not found' };
    }
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.queue.drop(ws);
    });
    // A message over ws's limit ends the socket with 1009 and emits this; the shell serves on.
    ws.on('error', (error) => this.opts.log?.(`a page's connection failed: ${error.message}`));
    ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
      if (isBinary) return this.reply(ws, null, { ok: false, error: { code: 'invalid', message: 'CoachDesk takes text messages only' } });
      const text = data.toString();
      if (bytes > MAX_REQUEST_BYTES) {
        const message = `this request is ${megabytes(bytes)}; CoachDesk takes at most ${megabytes(MAX_REQUEST_BYTES)} per request (was something very large pasted?)`;
        this.opts.log?.(`refused a request of ${megabytes(bytes)}`);
        return this.reply(ws, requestId(text), { ok: false, error: { code: 'too_large', message } });
      }
      this.queue.push(ws, () => void this.call(ws, text));
    });
  }

  private reply(ws: WebSocket, id: unknown, reply: ApiReply): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, ...reply }));
  }

  private async call(ws: WebSocket, text: string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return this.reply(ws, requestId(text), { ok: false, error: { code: 'invalid', message: 'a request must be JSON: {"id", "method", "params"}' } });
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return this.reply(ws, null, { ok: false, error: { code: 'invalid', message: 'a request must be an object: {"id", "method", "params"}' } });
    }
    const { id, method, params } = message as { id?: unknown; method?: unknown; params?: unknown };
    this.reply(ws, id ?? null, await callHost(this.opts.host, method, params, (line) => this.opts.log?.(line)));
  }
}
