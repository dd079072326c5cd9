// The sync server's plain HTTP: POST /api/join (an invite code for a device token), the trainee
// app's static files, /healthz, /readyz and /metrics. WebSocket upgrades to /sync never reach this handler.
import { createReadStream, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOIN_PATH, MAX_JOIN_BODY_BYTES, type JoinErrorCode, type JoinResponse } from '../protocol/index.ts';
import type { RedeemResult } from './access.ts';
import { isTransientDbError } from './db.ts';
import type { Logger } from './log.ts';
import { addressKey, type RateLimiter } from './rate-limit.ts';

/** Where `scripts/build-trainee.mjs` puts the trainee app. */
export const DEFAULT_APP_DIR = fileURLToPath(new URL('../dist/trainee', import.meta.url));

/** The policy every response of the app carries. `connect-src 'self'` admits ws:// to the same host and port. */
export const APP_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const SECURITY_HEADERS = {
  'content-security-policy': APP_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

/** A build's content-hashed file name (`app-5XJ2KQ7M.js`): its content never changes. */
const HASHED = /[.-](?=[A-Za-z0-9]*\d)[A-Za-z0-9]{8,}\.[a-z0-9]+$/;
const BODY_TIMEOUT_MS = 10_000;

export interface HttpAppOptions {
  appDir: string;
  /** Redeems an invite code (the store's redeemInvite, at the server's clock). */
  join(code: string): Promise<RedeemResult>;
  /** Counts join attempts per remote address; a successful join is not counted. */
  joinLimiter: RateLimiter;
  logger: Logger;
  /** Why the server cannot take work now (one line), or undefined when it can: /readyz. */
  readiness(): Promise<string | undefined>;
  /** The Prometheus exposition: /metrics. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

const REFUSALS: Record<Exclude<RedeemResult, { ok: true }>['reason'], { status: number; message: string }> = {
  unknown: { status: 404, message: 'this invite code is not known: check that the whole link was opened, or ask your coach for a new one' },
  used: { status: 410, message: 'this invite was already used: ask your coach for a new one' },
  expired: { status: 410, message: 'this invite has expired: ask your coach for a new one' },
  cancelled: { status: 410, message: 'this invite was cancelled by your coach: ask them for a new one' },
};

export function createHttpHandler(opts: HttpAppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(opts, req, res).catch((error: unknown) => {
      opts.logger.error({ err: error, method: req.method, path: req.url?.split('?', 1)[0]!.slice(0, 200) }, 'http request failed');
      if (!res.headersSent) text(res, 500, 'internal error');
      else res.destroy();
    });
  };
}

async function handle(opts: HttpAppOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.url ?? '/';
  const path = target.split('?', 1)[0]!;
  if (path === '/sync') {
    // As before: /sync is for WebSockets.
    res.writeHead(426, { 'content-type': 'text/plain' }).end('CoachDesk sync: connect with a WebSocket to /sync\n');
    return;
  }
  if (!path.startsWith('/')) return text(res, 400, 'bad request target');
  if (path === JOIN_PATH) return joinByInvite(opts, req, res);
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    const headOnly = req.method === 'HEAD';
    if (path === '/healthz') return text(res, 200, 'ok', {}, headOnly);
    if (path === '/readyz') {
      const notReady = await opts.readiness();
      return notReady === undefined ? text(res, 200, 'ready', {}, headOnly) : text(res, 503, notReady, {}, headOnly);
    }
    const { contentType, body } = await opts.metrics();
    return text(res, 200, body.replace(/\n$/, ''), { 'content-type': contentType }, headOnly);
  }
  if (path === '/api' || path.startsWith('/api/')) return json(res, 404, { error: 'not_found', message: 'no such endpoint' });
  return serveApp(opts.appDir, req, res, path);
}

// ---------------------------------------------------------------------------------------------
// POST /api/join

async function joinByInvite(opts: HttpAppOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const refuse = (status: number, error: JoinErrorCode, message: string, headers: Record<string, string> = {}) =>
    json(res, status, { error, message }, headers);
  if (req.method !== 'POST') return refuse(405, 'method_not_allowed', 'use POST with {"code": "…"}', { allow: 'POST' });
  const key = addressKey(req.socket.remoteAddress);
  const allowed = opts.joinLimiter.check(key);
  if (!allowed.ok) {
    return refuse(429, 'rate_limited', `too many attempts: try again in ${allowed.retryAfterSec} s`, {
      'retry-after': String(allowed.retryAfterSec),
      connection: 'close',
    });
  }
  // Counted before anything is awaited, so a burst of attempts cannot all pass the check.
  opts.joinLimiter.hit(key);
  const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return refuse(415, 'unsupported_media_type', 'the body must be JSON (content-type: application/json)', { connection: 'close' });
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_JOIN_BODY_BYTES) return refuse(413, 'too_large', `the body may have at most ${MAX_JOIN_BODY_BYTES} bytes`, { connection: 'close' });
  const body = await readBody(req, MAX_JOIN_BODY_BYTES);
  if (body === 'too_large') return refuse(413, 'too_large', `the body may have at most ${MAX_JOIN_BODY_BYTES} bytes`, { connection: 'close' });
  if (body === 'timeout') return refuse(408, 'bad_request', 'the body did not arrive in time', { connection: 'close' });
  if (body === 'aborted') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return refuse(400, 'bad_request', 'the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse(400, 'bad_request', 'the body must be a JSON object {"code": "…"}');
  const raw = (parsed as { code?: unknown }).code;
  if (raw === undefined) return refuse(400, 'bad_request', 'code is required');
  if (typeof raw !== 'string') return refuse(400, 'bad_request', 'code must be text');
  // A whole pasted link works too: the code is what follows its "#".
  const code = raw.slice(raw.lastIndexOf('#') + 1).trim();
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(code)) return refuse(400, 'bad_request', 'code must be an invite code (letters, digits, - and _)');
  let result: RedeemResult;
  try {
    result = await opts.join(code);
  } catch (error) {
    if (!isTransientDbError(error)) opts.logger.error({ err: error }, 'join failed');
    return refuse(503, 'unavailable', 'the server could not do this just now; try again', { 'retry-after': '5' });
  }
  if (!result.ok) {
    const { status, message } = REFUSALS[result.reason];
    return refuse(status, result.reason, message);
  }
  opts.joinLimiter.refund(key);
  const answer: JoinResponse = { userId: result.userId, token: result.token };
  json(res, 200, answer);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large' | 'timeout' | 'aborted'> {
  return new Promise((done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (value: Buffer | 'too_large' | 'timeout' | 'aborted') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      done(value);
    };
    const timer = setTimeout(() => finish('timeout'), BODY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish('too_large');
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish(Buffer.concat(chunks)));
    req.once('error', () => finish('aborted'));
    req.once('close', () => finish(req.complete ? Buffer.concat(chunks) : 'aborted'));
  });
}

// ---------------------------------------------------------------------------------------------
// The trainee app

async function serveApp(appDir: string, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
  const segments: string[] = [];
  for (const part of path.split('/')) {
    let name: string;
    try {
      name = decodeURIComponent(part);
    } catch {
      return text(res, 400, 'bad path');
    }
    if (name === '') continue;
    // No way out of the app's folder, and no hidden files: "..", "%2e%2e", "a%2fb", "a\b", ".env".
    if (name.startsWith('.') || /[/\\\0:]/.test(name)) return notFound(res);
    segments.push(name);
  }
  const last = segments.at(-1) ?? '';
  // A path without an extension is one of the app's routes (/, /join, /today, …).
  const isRoute = !last.includes('.');
  const root = resolve(appDir);
  const file = isRoute ? join(root, 'index.html') : resolve(root, ...segments);
  if (!file.startsWith(root + sep)) return notFound(res);
  const type = CONTENT_TYPES[extname(file).toLowerCase()];
  if (!type) return notFound(res);
  let info: Stats;
  try {
    info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    // A link inside the folder must not lead outside it.
    const real = await realpath(file);
    const realRoot = await realpath(root);
    if (!real.startsWith(realRoot + sep)) throw new Error('outside the app');
  } catch {
    if (isRoute) return text(res, 503, 'The trainee app is not built: run npm run build:trainee');
    return notFound(res);
  }
  const name = file.slice(file.lastIndexOf(sep) + 1);
  const cacheControl = name !== 'sw.js' && !name.endsWith('.html') && HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache';
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers = { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': cacheControl, etag };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': String(info.size) });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function notFound(res: ServerResponse): void {
  text(res, 404, 'not found');
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}, headOnly = false): void {
  const bytes = Buffer.from(`${body}\n`);
  res
    .writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(bytes.length), ...headers })
    .end(headOnly ? undefined : bytes);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res
    .writeHead(status, {
      ...SECURITY_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': String(bytes.length),
      ...headers,
    })
    .end(bytes);
}
