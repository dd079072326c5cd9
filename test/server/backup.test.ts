// Online backup of the server database while it serves, restoring from it, and what a backup refuses.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openWebSocket } from '../../main/sync/node-socket.ts';
import type { Op } from '../../protocol/index.ts';
import { backupServerDb, backupServerFile } from '../../server/backup.ts';
import { openServerDb, readServerVersion, type Db } from '../../server/db.ts';
import { SyncServer } from '../../server/sync-server.ts';
import type { LocalStore } from '../../sync/local-store.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import { id, openClient, sqliteOnly, startServer, tempDir, until, type TestServer } from '../helpers.ts';
import { openLocalStore } from '../sync-db.ts';
import { WsPeer } from './support.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
/** Backups copy the SQLite file (PostgreSQL is backed up with pg_dump). */
const BACKUP = { skip: sqliteOnly('backups copy the SQLite file (PostgreSQL is backed up with pg_dump)') };

let tmp: { dir: string; cleanup: () => void };
let srv: TestServer | undefined;
const closers: Array<() => Promise<void> | void> = [];

beforeEach(() => {
  tmp = tempDir('coachdesk-backup-');
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await srv?.close();
  srv = undefined;
  tmp.cleanup();
});

function client(url: string, token: string, name: string) {
  const c = openClient(tmp.dir, url, token, name);
  closers.push(() => c.store.close(), () => c.engine.stop());
  return c;
}

async function idle(engine: SyncEngine, what: string, timeoutMs = 20_000): Promise<void> {
  if (!(await engine.whenIdle(timeoutMs))) throw new Error(`${what}: not idle within ${timeoutMs} ms (${JSON.stringify(engine.getState().error)})`);
}

const exercises = (coachId: string, n: number, label: string, notes = '') =>
  Array.from({ length: n }, (_, i) => ({ entity: 'exercise' as const, id: id(), action: 'put' as const, fields: { coachId, name: `${label} ${i}`, ...(notes ? { notes } : {}) } }));

/** Every column of every canonical row, in a stable order. */
function rowsOf(db: Db, upto = Number.MAX_SAFE_INTEGER): unknown[] {
  return db.prepare(`SELECT * FROM canonical_rows WHERE version <= ? ORDER BY entity, id`).all(upto);
}

function openCopy(file: string): Db {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  closers.push(() => {
    if (db.open) db.close();
  });
  return db;
}

/** Pushes ops as the install `clientId` would, over a connection of its own, and drops the acks (lost on the way). */
async function pushAckLost(url: string, token: string, clientId: string, ops: Op[]): Promise<void> {
  const peer = await WsPeer.connect(url);
  try {
    await peer.hello(token, clientId);
    const from = peer.messages.length;
    peer.send({ type: 'push', ops });
    await until('the server to take the push', () => peer.since(from).filter((m) => m.type === 'ack').length === ops.length, 10_000);
    assert.ok(peer.since(from).every((m) => m.type !== 'ack' || (m.status === 'applied' && m.replay === false)));
  } finally {
    peer.close();
  }
}

/** Keeps a client making edits until stopped: the load a backup runs under. */
function keepEditing(engine: SyncEngine, coachId: string): { stop: () => Promise<number> } {
  let running = true;
  let made = 0;
  const loop = (async () => {
    while (running) {
      engine.enqueueAll(exercises(coachId, 10, `Live ${made}`));
      made += 10;
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return made;
    },
  };
}

describe('backup while serving', BACKUP, () => {
  test('backupServerDb on the serving connection: the copy is the database at one version while pushes go on, and opens as a valid server database', async () => {
    srv = await startServer(tmp.dir);
    const coach = srv.addCoach();
    const desk = client(srv.url, coach.token, 'desk');
    desk.engine.start();
    // Enough data that the copy takes many steps (each lets the server take pushes).
    desk.engine.enqueueAll(exercises(coach.userId, 1500, 'Seed', 'x'.repeat(400)));
    await idle(desk.engine, 'seeding');

    const load = keepEditing(desk.engine, coach.userId);
    const to = join(tmp.dir, 'backup.db');
    const versionAtStart = srv.server.store.currentVersion;
    const result = await backupServerDb(srv.db, to, { pagesPerStep: 5 });
    const versionAtEnd = srv.server.store.currentVersion;
    const made = await load.stop();
    await idle(desk.engine, 'the last edits');
    assert.ok(versionAtEnd > versionAtStart, `pushes were committed while the backup ran (${versionAtStart} → ${versionAtEnd}, ${made} edits made)`);
    assert.deepEqual(
      readdirSync(tmp.dir).filter((f) => f.includes('partial') || f.startsWith('backup.db')),
      ['backup.db'],
      'no temporary file or WAL left beside the copy',
    );

    const copy = openCopy(to);
    assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal(copy.pragma('page_count', { simple: true }), result.pages);
    assert.equal(result.bytes, readFileSync(to).length);
    const v = readServerVersion(copy);
    assert.ok(v >= versionAtStart && v <= versionAtEnd, `the copy's version ${v} is one the server had during the backup`);
    // Every edit is a new row, so the server's rows up to v are the database as it was at v.
    assert.deepEqual(rowsOf(copy), rowsOf(srv.db, v), 'the copy holds exactly the rows of version <= v');
    assert.equal(copy.prepare(`SELECT MAX(version) FROM canonical_rows`).pluck().get(), v);
    const ledger = copy.prepare(`SELECT key, ack FROM ledger`).all() as Array<{ key: string; ack: string }>;
    assert.equal(ledger.length, v, 'one entry per op applied up to v');
    assert.ok(ledger.every((l) => (JSON.parse(l.ack) as { version: number }).version <= v));
    const nextSeq = copy.prepare(`SELECT next_seq FROM clients WHERE client_id = ?`).pluck().get(desk.store.clientId);
    assert.equal(nextSeq, v + 1, "the install's nextSeq matches the ops it holds");

    // The server's own open code takes the copy as it is.
    copy.close();
    const opened = openServerDb(to);
    try {
      assert.equal(readServerVersion(opened), v);
      assert.equal(opened.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      opened.close();
    }
  });

  test('backupServerFile from another process while the server takes pushes: a consistent copy at one version', async () => {
    srv = await startServer(tmp.dir);
    const coach = srv.addCoach();
    const desk = client(srv.url, coach.token, 'desk');
    desk.engine.start();
    desk.engine.enqueueAll(exercises(coach.userId, 1500, 'Seed', 'x'.repeat(400)));
    await idle(desk.engine, 'seeding');

    const load = keepEditing(desk.engine, coach.userId);
    const to = join(tmp.dir, 'from-cli.db');
    const versionAtStart = srv.server.store.currentVersion;
    const script = `const { backupServerFile } = await import(${JSON.stringify(join(ROOT, 'server/backup.ts'))});
      console.log(JSON.stringify(await backupServerFile(${JSON.stringify(srv.file)}, ${JSON.stringify(to)})));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const versionAtEnd = srv.server.store.currentVersion;
    await load.stop();
    await idle(desk.engine, 'the last edits');
    assert.equal(code, 0, err);
    const result = JSON.parse(out) as { pages: number; bytes: number };
    assert.ok(result.pages > 100 && result.bytes === readFileSync(to).length);
    assert.ok(versionAtEnd > versionAtStart, 'the server took pushes meanwhile');

    const copy = openCopy(to);
    assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
    const v = readServerVersion(copy);
    assert.ok(v >= versionAtStart && v <= versionAtEnd);
    assert.deepEqual(rowsOf(copy), rowsOf(srv.db, v));
    assert.equal(copy.prepare(`SELECT COUNT(*) FROM ledger`).pluck().get(), v);
  });
});

describe('restore from a backup', BACKUP, () => {
  test('the restored server gets every op its clients still hold exactly once; ops acked after the backup are not resent', async () => {
    srv = await startServer(tmp.dir);
    const coach = srv.addCoach();
    const desk = client(srv.url, coach.token, 'desk');
    desk.engine.start();
    desk.engine.enqueueAll(exercises(coach.userId, 5, 'Before'));
    await idle(desk.engine, 'desk before the backup');

    // The laptop's pushes are taken but their acks never reach it: it holds them pending.
    const laptop: LocalStore = openLocalStore(join(tmp.dir, 'laptop.db'));
    closers.push(() => laptop.close());
    const a = laptop.enqueueAll(exercises(coach.userId, 3, 'A (in the backup, ack lost)'));
    await pushAckLost(srv.url, coach.token, laptop.clientId, a);

    const backup = join(tmp.dir, 'backup.db');
    await backupServerDb(srv.db, backup);
    const backupVersion = srv.server.store.currentVersion;

    const c = laptop.enqueueAll(exercises(coach.userId, 3, 'C (after the backup, ack lost)'));
    await pushAckLost(srv.url, coach.token, laptop.clientId, c);
    const b = desk.engine.enqueueAll(exercises(coach.userId, 4, 'B (after the backup, acked)'));
    await idle(desk.engine, 'desk after the backup');
    assert.equal(desk.store.pendingCount, 0);
    assert.equal(laptop.pendingCount, 6);

    // The disk is lost: the backup goes in its place, and a server starts on it at the same address.
    const { file, port, url } = srv;
    await srv.close();
    srv = undefined;
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    copyFileSync(backup, file);
    const restored = new SyncServer({ db: file, port, log: () => {} });
    await restored.listen();
    closers.push(() => restored.close());
    const restoredDb = openCopy(file);
    assert.equal(readServerVersion(restoredDb), backupVersion);

    const d = laptop.enqueueAll(exercises(coach.userId, 2, 'D (made while the server was down)'));
    const laptopEngine = new SyncEngine({ connect: openWebSocket, store: laptop, url, token: coach.token, backoff: { baseMs: 20, maxMs: 200 } });
    closers.push(() => laptopEngine.stop());
    laptopEngine.start();
    await idle(laptopEngine, 'the laptop on the restored server');
    // The desk reconnects by itself (same address) and goes on editing.
    const e = desk.engine.enqueueAll(exercises(coach.userId, 2, 'E (desk, after the restore)'));
    await idle(desk.engine, 'the desk on the restored server');

    const ledger = new Map(
      (restoredDb.prepare(`SELECT key, seq FROM ledger`).all() as Array<{ key: string; seq: number }>).map((l) => [l.key, l.seq]),
    );
    const onServer = (ops: Op[]) => ops.filter((o) => ledger.has(o.key) && restoredDb.prepare(`SELECT 1 FROM canonical_rows WHERE entity = 'exercise' AND id = ?`).get(o.id)).length;
    assert.equal(onServer(a), a.length, 'A came with the backup');
    assert.deepEqual(a.map((o) => ledger.get(o.key)), [1, 2, 3], 'A was only replayed: its entries are the originals');
    assert.equal(onServer(c), c.length, 'C, lost with the disk, was resent by the laptop');
    assert.equal(onServer(d), d.length);
    assert.equal(onServer(e), e.length);
    // Each op took one version, once: nothing was applied twice.
    assert.equal(readServerVersion(restoredDb), backupVersion + c.length + d.length + e.length);
    assert.equal(laptopEngine.counters.replays, a.length);
    assert.deepEqual(laptopEngine.getState().failed, []);
    assert.deepEqual(desk.engine.getState().failed, []);
    assert.equal(laptop.pendingCount + desk.store.pendingCount, 0);

    // B's acks reached the desk, which then dropped the ops (the contract: an ack means stored).
    // Nothing resends them: they are gone from the restored server.
    assert.equal(onServer(b), 0, 'ops acked after the backup are lost with the disk');
    assert.equal(restoredDb.prepare(`SELECT COUNT(*) FROM canonical_rows WHERE entity = 'exercise'`).pluck().get(), 5 + a.length + c.length + d.length + e.length);
  });
});

describe('after a restore', BACKUP, () => {
  test(
    'an install whose cursor is past the restored version still gets the rows written after the restore',
    { todo: 'known gap: the restored server issues versions again that the install has already passed, and catch-up skips them' },
    async () => {
      srv = await startServer(tmp.dir);
      const coach = srv.addCoach();
      const desk = client(srv.url, coach.token, 'desk');
      const laptop = client(srv.url, coach.token, 'laptop');
      desk.engine.start();
      desk.engine.enqueueAll(exercises(coach.userId, 3, 'Before'));
      await idle(desk.engine, 'desk');
      const backup = join(tmp.dir, 'backup.db');
      await backupServerDb(srv.db, backup);
      desk.engine.enqueueAll(exercises(coach.userId, 4, 'Lost'));
      await idle(desk.engine, 'desk after the backup');
      await desk.engine.stop();

      const { file, port } = srv;
      await srv.close();
      srv = undefined;
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      copyFileSync(backup, file);
      const restored = new SyncServer({ db: file, port, log: () => {} });
      await restored.listen();
      closers.push(() => restored.close());
      laptop.engine.start();
      const made = laptop.engine.enqueueAll(exercises(coach.userId, 2, 'After the restore'));
      await idle(laptop.engine, 'laptop');
      desk.engine.start();
      await idle(desk.engine, 'desk back');
      assert.deepEqual(made.map((o) => desk.store.getRow('exercise', o.id) !== undefined), [true, true]);
    },
  );
});

describe('what a backup refuses', BACKUP, () => {
  let db: Db;
  let file: string;

  beforeEach(() => {
    file = join(tmp.dir, 'server.db');
    db = openServerDb(file);
    closers.push(() => {
      if (db.open) db.close();
    });
  });

  test('a file that exists is never overwritten', async () => {
    const to = join(tmp.dir, 'taken.db');
    writeFileSync(to, 'keep me');
    await assert.rejects(backupServerDb(db, to), /taken\.db exists already: a backup never overwrites a file/);
    await assert.rejects(backupServerFile(file, to), /exists already/);
    assert.equal(readFileSync(to, 'utf8'), 'keep me');
  });

  test('a folder that does not exist', async () => {
    const to = join(tmp.dir, 'no-such-folder', 'b.db');
    await assert.rejects(backupServerDb(db, to), /the folder .*no-such-folder does not exist/);
    await assert.rejects(backupServerFile(file, to), /does not exist/);
    assert.equal(existsSync(join(tmp.dir, 'no-such-folder')), false);
  });

  test('the live database itself, however it is named', async () => {
    mkdirSync(join(tmp.dir, 'sub'));
    symlinkSync(file, join(tmp.dir, 'link.db'));
    for (const to of [file, join(tmp.dir, 'sub', '..', 'server.db'), join(tmp.dir, 'link.db')]) {
      await assert.rejects(backupServerDb(db, to), /is the live database itself/, to);
      await assert.rejects(backupServerFile(file, to), /is the live database itself/, to);
    }
    assert.equal(readServerVersion(db), 0, 'the live database is untouched');
  });

  test('backupServerFile: no database there, or not a server database', async () => {
    await assert.rejects(backupServerFile(join(tmp.dir, 'missing.db'), join(tmp.dir, 'b.db')), /no database at .*missing\.db/);
    const other = join(tmp.dir, 'other.db');
    const plain = new Database(other);
    plain.exec('CREATE TABLE t (x)');
    plain.close();
    await assert.rejects(backupServerFile(other, join(tmp.dir, 'b.db')), /is not a CoachDesk server database/);
    assert.equal(existsSync(join(tmp.dir, 'b.db')), false);
  });

  test('refusals leave nothing behind; a backup next to them works', async () => {
    writeFileSync(join(tmp.dir, 'taken.db'), 'keep me');
    await assert.rejects(backupServerDb(db, join(tmp.dir, 'taken.db')));
    const { pages, bytes } = await backupServerDb(db, join(tmp.dir, 'ok.db'));
    assert.ok(pages > 0 && bytes > 0);
    assert.deepEqual(readdirSync(tmp.dir).sort(), ['ok.db', 'server.db', 'server.db-shm', 'server.db-wal', 'taken.db']);
  });
});
