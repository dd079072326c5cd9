// The local database's schema versions: files written by the code that shipped schemas 1, 2 and
// 3 (test/fixtures/local-store, made by scripts/make-local-store-fixtures.mjs) open with the
// current store and read as their own code read them; a newer file is refused untouched.
import assert from 'node:assert/strict';
import { onlyOnDisk, openLocalStore, withRawDb } from '../sync-db.ts';
import type { SyncDb } from '../../sync/db.ts';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ENTITIES } from '../../protocol/index.ts';
import { migrate, PARENT_FIELD, SCHEMA_VERSION, userVersion } from '../../sync/local-schema.ts';
import { LocalStore, NewerDatabaseError, UnusableDatabaseError, type ViewRow } from '../../sync/local-store.ts';
import { runClient } from '../e2e/support.ts';
import { id, tempDir } from '../helpers.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/local-store');

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = tempDir('coachdesk-migrations-')));
afterEach(() => tmp.cleanup());

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function fixture(schema: number, name = `schema-${schema}.db`): { file: string; expected: Expected } {
  const file = join(tmp.dir, name);
  copyFileSync(join(FIXTURES, `schema-${schema}.db`), file);
  return { file, expected: JSON.parse(readFileSync(join(FIXTURES, `schema-${schema}.expected.json`), 'utf8')) as Expected };
}

/** What the fixture's own code read from it. */
interface Expected {
  meta: Record<string, string>;
  nextSeq: number;
  pending: ReturnType<LocalStore['pendingOps']>;
  failed: ReturnType<LocalStore['failedOps']>;
  journal: ReturnType<LocalStore['journal']>;
  rows: Record<string, ViewRow[]>;
}

const raw = withRawDb;
const count = (db: SyncDb, sql: string) => (db.prepare(sql).get() as { n: number }).n;

const byId = (rows: ViewRow[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));

function assertReadsAsBefore(store: LocalStore, expected: Expected): void {
  assert.deepEqual(store.pendingOps(0, 1000), expected.pending, 'the outbox: keys, seqs, fields and base versions, in seq order');
  assert.equal(store.pendingCount, expected.pending.length);
  assert.equal(store.nextSeq, expected.nextSeq);
  assert.deepEqual(store.failedOps(), expected.failed, 'the failed list: op, reason, message, time');
  assert.deepEqual(store.journal(), expected.journal);
  for (const [key, value] of Object.entries(expected.meta)) assert.equal(store.getMeta(key), value, `meta ${key}`);
  assert.equal(store.lastVersion, Number(expected.meta.lastVersion));
  for (const entity of ENTITIES) {
    const rows = expected.rows[entity] ?? [];
    assert.deepEqual(byId(store.list(entity)), byId(rows), `${entity} rows`);
    const field = PARENT_FIELD[entity];
    if (!field) continue;
    // Listing by parent goes through replica.parent, which the migration filled.
    for (const parent of new Set(rows.map((r) => r.fields[field]).filter((p) => typeof p === 'string'))) {
      assert.deepEqual(byId(store.children(entity, parent as string)), byId(rows.filter((r) => r.fields[field] === parent)), `${entity} rows under ${String(parent)}`);
    }
  }
}

describe('local database schema versions', () => {
  for (const schema of [1, 2, 3]) {
    test(`a schema-${schema} file written by its own code opens as schema ${SCHEMA_VERSION} and reads the same`, () => {
      const { file, expected } = fixture(schema);
      assert.equal(raw(file, userVersion), 0, 'files before user_version was used');
      assert.ok(expected.pending.length >= 5 && expected.failed.length >= 2 && expected.journal.length >= 2, 'the fixture holds each kind of data');

      const store = openLocalStore(file);
      assertReadsAsBefore(store, expected);
      // Listing by parent above found the stored rows through replica.parent, not pending edits alone.
      const stored = (store.db.prepare(`SELECT COUNT(*) AS n FROM replica WHERE parent IS NOT NULL`).get() as { n: number }).n;
      assert.equal(stored, 10, 'every live replica row that has a parent (program, workouts, prescriptions, session, set logs), not the tombstone');
      assert.equal((store.db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'replica_by_parent'`).get() as { n: number }).n, 1);
      // And it works on: a failed edit retried goes to the end of the outbox.
      const retried = store.retry(expected.failed[0]!.op.key);
      assert.equal(retried.seq, expected.nextSeq);
      store.close();

      assert.equal(raw(file, userVersion), SCHEMA_VERSION);
      const columns = raw(file, (db) => (db.prepare(`SELECT name FROM pragma_table_info('outbox')`).all() as Array<{ name: string }>).map((r) => r.name));
      assert.deepEqual(columns, ['seq', 'key', 'entity', 'id', 'action', 'fields', 'base_version', 'at']);
    });
  }

  test('opening again migrates nothing and reads the same', () => {
    const { file, expected } = fixture(1);
    openLocalStore(file).close();
    assert.deepEqual(
      raw(file, (db) => migrate(db)),
      { from: SCHEMA_VERSION, to: SCHEMA_VERSION },
    );
    const store = openLocalStore(file);
    assertReadsAsBefore(store, expected);
    store.close();
  });

  test('a schema-1 failed edit keeps its ack without the time, and that time as failed_at', () => {
    const { file } = fixture(1);
    const before = raw(file, (db) => db.prepare(`SELECT key, last_ack FROM outbox WHERE status = 'failed' ORDER BY seq`).all() as Array<{ key: string; last_ack: string }>);
    openLocalStore(file).close();
    const after = raw(file, (db) => db.prepare(`SELECT key, ack, failed_at FROM failed ORDER BY seq`).all() as Array<{ key: string; ack: string; failed_at: string }>);
    assert.equal(after.length, before.length);
    before.forEach((b, i) => {
      const { failedAt, ...ack } = JSON.parse(b.last_ack) as { failedAt: string };
      assert.deepEqual({ key: after[i]!.key, ack: JSON.parse(after[i]!.ack), failedAt: after[i]!.failed_at }, { key: b.key, ack, failedAt });
    });
  });

  test('a new file is created at the current version', () => {
    const file = join(tmp.dir, 'new.db');
    const store = openLocalStore(file);
    store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: id(), name: 'Press' } });
    store.close();
    assert.equal(raw(file, userVersion), SCHEMA_VERSION);
    assert.equal(openLocalStore(file).pendingCount, 1);
  });

  test('a file from a newer CoachDesk is refused before anything is written to it', { skip: onlyOnDisk }, async () => {
    const file = join(tmp.dir, 'newer.db');
    const store = openLocalStore(file);
    store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: id(), name: 'Press' } });
    store.db.exec('PRAGMA user_version = 99');
    store.close();
    // A rollback-journal file too: the store's switch to WAL would rewrite its header.
    const rollback = join(tmp.dir, 'newer-rollback.db');
    copyFileSync(file, rollback);
    raw(rollback, (db) => db.exec('PRAGMA journal_mode = DELETE'));

    for (const f of [file, rollback]) {
      const before = sha(f);
      let caught: unknown;
      try {
        openLocalStore(f).close();
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof NewerDatabaseError, `expected a NewerDatabaseError, got ${String(caught)}`);
      assert.ok(caught instanceof UnusableDatabaseError);
      assert.equal(caught.file, f);
      assert.equal(caught.version, 99);
      assert.equal(caught.supported, SCHEMA_VERSION);
      assert.ok(caught.message.includes(f), caught.message);
      assert.match(caught.message, new RegExp(`schema 99; this version reads up to schema ${SCHEMA_VERSION}`));
      assert.match(caught.message, /install the newer CoachDesk/i);
      assert.equal(sha(f), before, 'the file is byte for byte as it was');
    }

    const out = await runClient(['status', '--db', rollback], 15_000);
    assert.equal(out.code, 6, out.stderr);
    assert.match(out.stderr, /newer CoachDesk/);
  });

  test('a step that fails is rolled back whole: the file stays at the last whole version', () => {
    // A schema-1 file whose replica holds a row the 2 → 3 step cannot read: 1 → 2 commits,
    // 2 → 3 fails and leaves neither the column nor the index.
    const { file } = fixture(1);
    raw(file, (db) => db.prepare(`UPDATE replica SET fields = '{not json' WHERE entity = 'workout' AND id = (SELECT id FROM replica WHERE entity = 'workout' LIMIT 1)`).run());
    assert.throws(() => openLocalStore(file), (error: Error) => {
      assert.ok(error instanceof UnusableDatabaseError);
      assert.match(error.message, /upgrading it from schema 2 to 3 failed \(malformed JSON\); it is left at schema 2/);
      return true;
    });
    raw(file, (db) => {
      assert.equal(userVersion(db), 2);
      assert.deepEqual(db.prepare(`SELECT name FROM pragma_table_info('replica') WHERE name = 'parent'`).all(), []);
      assert.equal(count(db, `SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'replica_by_parent'`), 0);
      assert.equal(count(db, `SELECT COUNT(*) AS n FROM failed`), 2, 'the 1 → 2 step stands');
    });

    // A schema-1 file whose failed edit's ack cannot be read: nothing of 1 → 2 is left.
    const other = fixture(1, 'other.db').file;
    raw(other, (db) => db.prepare(`UPDATE outbox SET last_ack = '{broken' WHERE status = 'failed'`).run());
    assert.throws(() => openLocalStore(other), /upgrading it from schema 1 to 2 failed \(malformed JSON\); it is left at schema 1/);
    raw(other, (db) => {
      assert.equal(userVersion(db), 0);
      assert.equal(count(db, `SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'failed'`), 0);
      assert.ok(db.prepare(`SELECT name FROM pragma_table_info('outbox') WHERE name = 'status'`).get(), 'the outbox keeps its status column');
      assert.equal(count(db, `SELECT COUNT(*) AS n FROM outbox`), 7);
    });
  });
});
