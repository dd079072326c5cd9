// V1's sync server: the last-write-wins design as a small team would have shipped it. One
// WebSocket endpoint on 127.0.0.1, one SQLite file. Each pushed row is kept whole when its
// updatedAt (the writer's device clock) is not older than the stored one (ties: the later
// arrival wins), and every row the server keeps goes to the other connected clients.
// No accounts or scopes: the benchmark's two clients share one coach's data.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { WebSocketServer, type WebSocket } from 'ws';
import { wireOf, type StoredV1Row, type V1WireRow } from './client-store.ts';

/**
 * Client → server: `hello {since}` (first; answered with `caughtUp`), `push {id, rows}` (answered
 * with `pushed`). Server → client: `caughtUp {seq, rows}`, `pushed {id, seq, rows}` (the server's
 * row for each pushed row, kept or not), `changes {seq, rows}` (others' kept writes, live).
 */
export type V1ClientMessage = { type: 'hello'; since: number } | { type: 'push'; id: number; rows: V1WireRow[] };
export type V1ServerMessage =
  | { type: 'caughtUp'; seq: number; rows: V1WireRow[] }
  | { type: 'pushed'; id: number; seq: number; rows: V1WireRow[] }
  | { type: 'changes'; seq: number; rows: V1WireRow[] };

interface StoredRow extends StoredV1Row {
  seq: number;
}


export class V1Server {
  private readonly db: Database.Database;
  private readonly http: HttpServer;
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<WebSocket>();
  private seqValue: number;
  private readonly stmts;
  private readonly pushTx: (rows: V1WireRow[]) => { kept: V1WireRow[]; current: V1WireRow[] };

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS rows (
        entity TEXT NOT NULL, id TEXT NOT NULL, fields TEXT NOT NULL, updated_at INTEGER NOT NULL,
        deleted INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (entity, id)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS rows_seq ON rows (seq);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
    this.stmts = {
      get: this.db.prepare(`SELECT * FROM rows WHERE entity = ? AND id = ?`),
      put: this.db.prepare(`INSERT INTO rows (entity, id, fields, updated_at, deleted, seq) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (entity, id) DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at,
          deleted = excluded.deleted, seq = excluded.seq`),
      since: this.db.prepare(`SELECT * FROM rows WHERE seq > ? ORDER BY seq`),
      metaGet: this.db.prepare(`SELECT value FROM meta WHERE key = 'seq'`).pluck(),
      metaSet: this.db.prepare(`INSERT INTO meta (key, value) VALUES ('seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
    };
    this.seqValue = Number((this.stmts.metaGet.get() as string | undefined) ?? '0');
    this.pushTx = this.db.transaction((rows: V1WireRow[]) => {
      const kept: V1WireRow[] = [];
      const current: V1WireRow[] = [];
      let seq = this.seqValue;
      for (const r of rows) {
        const stored = this.stmts.get.get(r.entity, r.id) as StoredRow | undefined;
        if (!stored || r.updatedAt >= stored.updated_at) {
          seq++;
          const fields = r.deleted ? {} : r.fields;
          this.stmts.put.run(r.entity, r.id, JSON.stringify(fields), r.updatedAt, r.deleted ? 1 : 0, seq);
          const row = { entity: r.entity, id: r.id, fields, updatedAt: r.updatedAt, deleted: r.deleted };
          kept.push(row);
          current.push(row);
        } else current.push(wireOf(stored));
      }
      if (seq !== this.seqValue) this.stmts.metaSet.run(String(seq));
      this.seqValue = seq;
      return { kept, current };
    });
    this.http = createServer((_req, res) => res.writeHead(426).end());
    this.wss = new WebSocketServer({ server: this.http, path: '/v1' });
    this.wss.on('connection', (ws) => this.accept(ws));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(0, '127.0.0.1', () => resolve());
    });
    return `ws://127.0.0.1:${(this.http.address() as AddressInfo).port}/v1`;
  }

  /** The last sequence number the server gave a kept write. */
  get seq(): number {
    return this.seqValue;
  }

  /** The server's row, or undefined. */
  getRow(entity: string, id: string): V1WireRow | undefined {
    const r = this.stmts.get.get(entity, id) as StoredRow | undefined;
    return r && wireOf(r);
  }

  private accept(ws: WebSocket): void {
    let welcomed = false;
    const send = (m: V1ServerMessage) => ws.send(JSON.stringify(m));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as V1ClientMessage;
      if (m.type === 'hello') {
        welcomed = true;
        this.peers.add(ws);
        send({ type: 'caughtUp', seq: this.seqValue, rows: (this.stmts.since.all(m.since) as StoredRow[]).map(wireOf) });
      } else if (m.type === 'push' && welcomed) {
        const { kept, current } = this.pushTx(m.rows);
        if (kept.length) {
          const frame = JSON.stringify({ type: 'changes', seq: this.seqValue, rows: kept } satisfies V1ServerMessage);
          for (const peer of this.peers) if (peer !== ws && peer.readyState === peer.OPEN) peer.send(frame);
        }
        send({ type: 'pushed', id: m.id, seq: this.seqValue, rows: current });
      }
    });
    ws.on('close', () => this.peers.delete(ws));
  }

  async close(): Promise<void> {
    for (const ws of this.peers) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.db.close();
  }
}
