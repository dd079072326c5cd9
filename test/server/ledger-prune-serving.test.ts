// Ledger retention in a serving process: the server prunes on its own schedule while clients
// push, and the CLI's flag and `backup` command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { id, openClient, sqliteOnly, startServer, tempDir, until } from '../helpers.ts';

const tmp = tempDir('coachdesk-prune-serving-');
after(() => tmp.cleanup());

const DAY = 86_400_000;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

test('a serving server prunes entries past the retention once their install has pushed again a day later; the others stay', async () => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const srv = await startServer(tmp.dir, { now: () => clock, ledgerRetentionMs: 90 * DAY, ledgerPruneEveryMs: 60_000 });
  const coach = await srv.newCoach('Ana');
  const client = openClient(tmp.dir, srv.url, coach.token);
  try {
    client.engine.start();
    const ledger = () => srv.count('ledger');
    // Old edits: their entries take the clock of the push.
    for (let i = 0; i < 5; i++) client.engine.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: coach.userId, name: `Old ${i}` } });
    await until('the old edits acked', async () => client.store.pendingCount === 0 && (await ledger()) === 5, 10_000);
    assert.equal(await srv.server.pruneLedger(), 0, 'nothing is past the retention yet');

    // 100 days later the install pushes again: its old entries are past the window, and it has
    // pushed more than a day after them, so they go.
    clock += 100 * DAY;
    client.engine.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: coach.userId, name: 'New' } });
    await until('the new edit acked', async () => client.store.pendingCount === 0 && (await ledger()) === 6, 10_000);
    assert.equal(await srv.server.pruneLedger(2), 5, 'pruned in batches of 2 until none is left');
    assert.equal(await ledger(), 1, 'the recent entry stays');
    const exercises = await srv.count('canonical_rows', `entity = 'exercise'`);
    assert.equal(exercises, 6, 'pruning the ledger touches no row');
  } finally {
    await client.engine.stop();
    client.store.close();
    await srv.close();
  }
});

test('serve refuses a bad --ledger-retention-days; backup copies a database and never overwrites', { skip: sqliteOnly('backup copies a SQLite file (PostgreSQL is backed up with pg_dump)') }, () => {
  const db = join(tmp.dir, 'cli.db');
  assert.equal(cli('add-coach', '--db', db, '--name', 'Ana').status, 0);
  for (const bad of ['-1', '1.5', 'ninety', '']) {
    const r = cli('serve', '--db', db, '--port', '0', `--ledger-retention-days=${bad}`);
    assert.equal(r.status, 2, `--ledger-retention-days ${JSON.stringify(bad)}: ${r.stderr}`);
    assert.match(r.stderr, /--ledger-retention-days must be a whole number of days/);
  }
  const to = join(tmp.dir, 'copy.db');
  const ok = cli('backup', '--db', db, '--to', to);
  assert.equal(ok.status, 0, ok.stderr);
  const out = JSON.parse(ok.stdout) as { to: string; pages: number; bytes: number };
  assert.ok(out.pages > 0 && out.bytes > 0, ok.stdout);
  const copy = new Database(to, { readonly: true });
  try {
    assert.equal(copy.prepare(`SELECT COUNT(*) FROM users WHERE role = 'coach'`).pluck().get(), 1);
  } finally {
    copy.close();
  }
  const again = cli('backup', '--db', db, '--to', to);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /exists already/);
  const noTo = cli('backup', '--db', db);
  assert.equal(noTo.status, 2);
  assert.match(noTo.stderr, /--to FILE is required/);
  const missing = cli('backup', '--db', join(tmp.dir, 'nope.db'), '--to', join(tmp.dir, 'x.db'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no database at/);
  assert.ok(!existsSync(join(tmp.dir, 'x.db')) && !existsSync(join(tmp.dir, 'nope.db')));
});
