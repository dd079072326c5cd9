import WebSocket from 'ws';
import { PROTOCOL_VERSION, type Role } from '../../protocol/index.ts';

export type ProbeResult =
  | { ok: true; userId: string; role: Role }
  | { ok: false; error: 'unauthorized' | 'unreachable' | 'invalid'; message: string };

/**
 * Asks a sync server who a token belongs to (hello → welcome) and hangs up. Pushes nothing,
 * so the server keeps no state for the probe's throwaway client id.
 */
export function probeServer(url: string, token: string, timeoutMs = 8000): Promise<ProbeResult> {
  if (!/^wss?:\/\/[^\s/]+/i.test(url)) {
    return Promise.resolve({ ok: false, error: 'invalid', message: `"${url}" is not a sync server address (ws://host:port/sync)` });
  }
  if (!token.trim()) return Promise.resolve({ ok: false, error: 'invalid', message: 'enter the token your server gave you' });
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(result);
    };
    const unreachable = (why: string): ProbeResult => ({ ok: false, error: 'unreachable', message: `cannot reach the sync server at ${url}: ${why}` });
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => finish(unreachable('no answer')), timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, token: token.trim(), clientId: `probe-${Date.now()}`, lastVersion: Number.MAX_SAFE_INTEGER })));
    ws.on('message', (data) => {
      let m: { type?: string; code?: string; userId?: string; role?: Role; message?: string };
      try {
        m = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (m.type === 'welcome' && m.userId && m.role) finish({ ok: true, userId: m.userId, role: m.role });
      else if (m.type === 'error' && m.code === 'unauthorized') finish({ ok: false, error: 'unauthorized', message: 'the server does not know this token (or it was revoked)' });
    });
    ws.on('close', (code) => finish(code === 4401 ? { ok: false, error: 'unauthorized', message: 'the server does not know this token (or it was revoked)' } : unreachable(`connection closed (${code})`)));
    ws.on('error', (error) => finish(unreachable(error.message)));
  });
}
