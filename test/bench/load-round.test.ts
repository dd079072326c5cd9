// The server bench's load clients (bench/server-throughput.ts loadRound) against a real sync
// server on loopback that cannot store pushes for a while: they send the refused pushes again,
// as CoachDesk's client does, and the bench's count of acked ops matches the database.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { closeAll, connectAll, isAck, loadRound, makeWork } from '../../bench/server-throughput.ts';
import { addCoach } from '../../server/auth.ts';
import { openServerDb } from '../../server/db.ts';
import { SyncServer } from '../../server/sync-server.ts';

test('pushes answered unavailable are sent again, and every op acked is stored once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coachdesk-load-round-'));
  const file = join(dir, 'server.db');
  const setup = openServerDb(file);
  const tokens = [addCoach(setup, 'Ana').token, addCoach(setup, 'Bo').token];
  setup.close();
  const server = new SyncServer({ db: file, port: 0, log: () => {} });
  const url = await server.listen();
  const conns = await connectAll(url, tokens, false);
  // Another connection holds the write lock past the server's busy timeout (2 s): the first
  // pushes are refused with `unavailable`, and those sent behind them too.
  const blocker = new Database(file);
  blocker.exec('BEGIN IMMEDIATE');
  const released = new Promise<void>((resolve) =>
    setTimeout(() => {
      blocker.exec('COMMIT');
      blocker.close();
      resolve();
    }, 2500),
  );
  try {
    const round = await loadRound(conns, makeWork(conns, 3, 20), 20, 20, isAck);
    await released;
    assert.ok(round.resent >= 2, `each client's first push was refused and sent again (resent ${round.resent})`);
    assert.equal(round.ops, 2 * 3 * 20);
    assert.equal(round.latenciesMs.length, 2 * 3);
    assert.ok(Math.max(...round.latenciesMs) >= 2000, 'a resent push counts from its first send');
    await closeAll(conns);
    const check = new Database(file, { readonly: true });
    const rows = check.prepare(`SELECT count(*) FROM canonical_rows WHERE entity = 'exercise'`).pluck().get();
    const applied = check.prepare(`SELECT count(*) FROM ledger WHERE ack LIKE '%"status":"applied"%'`).pluck().get();
    check.close();
    assert.equal(rows, round.ops);
    assert.equal(applied, round.ops);
  } finally {
    await released;
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
