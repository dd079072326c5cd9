// V1's sync: on connect, take the server's rows since the cursor (local rows with unpushed edits
// are left alone), then push every dirty row whole; while connected, push after each edit and
// take the other clients' kept writes live.
import WebSocket from 'ws';
import type { V1ClientStore, V1WireRow } from './client-store.ts';
import type { V1ClientMessage, V1ServerMessage } from './server.ts';

export class V1SyncClient {
  private ws: WebSocket | undefined;
  private nextPushId = 1;
  private readonly pending = new Map<number, { sent: V1WireRow[]; resolve: () => void }>();
  private readonly waiters: Array<{ seq: number; resolve: () => void }> = [];
  private caughtUp: (() => void) | undefined;

  constructor(
    readonly store: V1ClientStore,
    readonly url: string,
  ) {}

  get online(): boolean {
    return this.ws !== undefined;
  }

  /** Connects, catches up, and pushes what was edited offline. */
  async connect(): Promise<void> {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.on('message', (data) => this.receive(JSON.parse(data.toString()) as V1ServerMessage));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await new Promise<void>((resolve) => {
      this.caughtUp = resolve;
      this.send({ type: 'hello', since: this.store.cursor });
    });
    await this.push();
  }

  async disconnect(): Promise<void> {
    const ws = this.ws;
    this.ws = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.terminate();
    });
    // A push in flight is answered on the next connection (its rows are still dirty).
    for (const p of this.pending.values()) p.resolve();
    this.pending.clear();
  }

  /** Pushes every dirty row, whole, and waits for the server's answer. Offline: nothing to do. */
  async push(): Promise<void> {
    if (!this.ws) return;
    const rows = this.store.dirtyRows();
    if (rows.length === 0) return;
    const id = this.nextPushId++;
    await new Promise<void>((resolve) => {
      this.pending.set(id, { sent: rows, resolve });
      this.send({ type: 'push', id, rows });
    });
  }

  /** Resolves once this client has applied the server's rows up to `seq`. */
  whenSeen(seq: number): Promise<void> {
    if (this.store.cursor >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  private send(m: V1ClientMessage): void {
    this.ws!.send(JSON.stringify(m));
  }

  private receive(m: V1ServerMessage): void {
    if (m.type === 'pushed') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.store.settlePushed(p.sent, m.rows, m.seq);
      p.resolve();
    } else {
      this.store.applyServerRows(m.rows, m.seq);
      if (m.type === 'caughtUp') {
        this.caughtUp?.();
        this.caughtUp = undefined;
      }
    }
    const cursor = this.store.cursor;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.seq <= cursor) this.waiters.splice(i, 1)[0]!.resolve();
    }
  }
}
