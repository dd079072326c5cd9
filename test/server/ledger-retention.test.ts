// Ledger retention: old idempotency entries are pruned, and an op is still never applied twice.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Ack } from '../../protocol/index.ts';
import { CanonicalStore } from '../../server/canonical-store.ts';
import { SCHEMA_VERSION, ledgerKeyedByKey, openServerDb, type Db } from '../../server/db.ts';
import { tempDir } from '../helpers.ts';
import { onlyOnDisk, openLocalStore } from '../sync-db.ts';
import { StoreClient, counts, makeOp, openStore, seedCoach, storedRow, uuid, type RawOp } from './support.ts';

const DAY = 86_400_000;

let dir: string;
let cleanup: () => void;
let db: Db;
let store: CanonicalStore;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('coachdesk-ledger-'));
  ({ db, store } = openStore(dir));
});

afterEach(() => {
  if (db.open) db.close();
  cleanup();
});

const ledgerSize = (d: Db) => d.prepare(`SELECT COUNT(*) FROM ledger`).pluck().get() as number;
const ledgerKeys = (d: Db) => new Set(d.prepare(`SELECT key FROM ledger`).pluck().all() as string[]);
const storedAt = (d: Db, key: string) => d.prepare(`SELECT stored_at FROM ledger WHERE key = ?`).pluck().get(key) as number | undefined;
const prunedSeq = (d: Db, userId: string, clientId: string) =>
  d.prepare(`SELECT pruned_seq FROM clients WHERE user_id = ? AND client_id = ?`).pluck().get(userId, clientId) as number | undefined;

/** What the code answered before retention to a new key under a seq below nextSeq (canonical-store.test.ts). */
function seqReused(op: { key: string; seq: number }): Ack {
  return {
    type: 'ack',
    key: op.key,
    seq: op.seq,
    status: 'rejected',
    reason: 'seq_reused',
    message: `seq ${op.seq} was already used by another edit from this install`,
    replay: false,
  };
}

/** The ack of a resend whose ledger entry was pruned. */
function prunedReplay(op: { key: string; seq: number }): Ack {
  return {
    type: 'ack',
    key: op.key,
    seq: op.seq,
    status: 'applied',
    message: 'this edit reached the server long ago; its outcome is no longer on record and the row shows its current state',
    replay: true,
  };
}

describe('ledger retention', () => {
  test('an op resent under its own seq after its entry was pruned is not applied again; acked applied, replay:true; the client drops it without a failed edit or a journal note', { skip: onlyOnDisk }, () => {
    const a = seedCoach(db, store);
    const t0 = Date.now();
    // A client that keeps its seqs (as the contract's may): two edits of one exercise, taken by
    // the server, both acks lost; two days later a third edit, acked.
    const local = openLocalStore(join(dir, 'tablet.db'));
    try {
      const exercise = uuid();
      const ops = local.enqueueAll([
        { entity: 'exercise', id: exercise, action: 'put', fields: { coachId: a.coach.id, name: 'Front squat' } },
        { entity: 'exercise', id: exercise, action: 'patch', fields: { name: 'Front squat (pause)' } },
      ]) as RawOp[];
      assert.deepEqual(store.push(a.coach, local.clientId, ops, t0).acks.map((x) => x.status), ['applied', 'applied']);
      const third = local.enqueue({ entity: 'exercise', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'Row' } }) as RawOp;
      local.applyIncoming({ rows: [], acks: store.push(a.coach, local.clientId, [third], t0 + 2 * DAY).acks });
      const rowBefore = storedRow(db, 'exercise', exercise);

      // Within the window nothing goes; past it, the two old entries do (the seed's stay: that
      // install has not pushed since).
      assert.equal(store.pruneLedger(new Date(t0 + 80 * DAY), 90 * DAY), 0);
      const size = ledgerSize(db);
      assert.equal(store.pruneLedger(new Date(t0 + 91 * DAY), 90 * DAY), 2);
      assert.equal(ledgerSize(db), size - 2);
      assert.ok(!ops.some((o) => ledgerKeys(db).has(o.key)));
      assert.equal(prunedSeq(db, a.coach.id, local.clientId), 2, 'the highest pruned seq of that install is kept');
      const before = counts(db);

      // Months later the two are resent under their own seqs.
      const again = store.push(a.coach, local.clientId, ops.map((o) => ({ ...o })), t0 + 92 * DAY);
      assert.deepEqual(again.acks, ops.map(prunedReplay));
      assert.equal(again.expectedSeq, undefined);
      assert.equal(again.changes.size, 0);
      assert.deepEqual(storedRow(db, 'exercise', exercise), rowBefore, 'the put was not applied again over the later patch');
      assert.deepEqual(counts(db), before, 'no version, row or ledger entry added');
      assert.equal(store.nextSeq(a.coach.id, local.clientId), 4);

      // What CoachDesk's client does with these acks: drops the ops; no failed edit, no note.
      const result = local.applyIncoming({ rows: [], acks: again.acks });
      assert.deepEqual(result.done.sort(), ops.map((o) => o.key).sort());
      assert.equal(result.rejected, 0);
      assert.equal(local.pendingCount, 0);
      assert.deepEqual(local.failedOps(), []);
      assert.deepEqual(local.journal(), []);
    } finally {
      local.close();
    }
  });

  test('a new key under a seq below nextSeq is answered as before (seq_reused) where the entries are kept; at nextSeq it is applied; above it, expectedSeq', () => {
    const a = seedCoach(db, store);
    const t0 = Date.now();
    const tab = new StoreClient(store, a.coach, 'tab');
    const put = (name: string) => tab.op('trainee', uuid(), 'put', { coachId: a.coach.id, name });
    tab.pushApplied([put('One'), put('Two')], t0);
    tab.pushApplied([put('Three'), put('Four')], t0 + 10 * DAY);
    // A 5-day retention on day 12: seqs 1 and 2 go, 3 and 4 stay.
    assert.equal(store.pruneLedger(new Date(t0 + 12 * DAY), 5 * DAY), 2);
    assert.equal(prunedSeq(db, a.coach.id, 'tab'), 2);
    const before = counts(db);

    const stranger = makeOp({ seq: 3, entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'Stranger' } });
    assert.deepEqual(tab.push([stranger], t0 + 12 * DAY).acks, [seqReused(stranger)], 'what the code answered before retention');
    assert.deepEqual(counts(db), before, 'not applied');
    assert.equal(store.nextSeq(a.coach.id, 'tab'), 5);

    const ahead = tab.push([makeOp({ seq: 6, entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'Ahead' } })], t0 + 12 * DAY);
    assert.deepEqual(ahead.acks, []);
    assert.equal(ahead.expectedSeq, 5);
    assert.deepEqual(counts(db), before);

    const next = tab.push([makeOp({ seq: 5, entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'Five' } })], t0 + 12 * DAY);
    assert.equal(next.acks[0]!.status, 'applied');
    assert.equal(next.acks[0]!.replay, false);
    assert.equal(counts(db).version, before.version + 1);
    assert.equal(store.nextSeq(a.coach.id, 'tab'), 6);
  });

  test('a new key under a seq whose entry was pruned cannot be told from a resend of the pruned op: not applied, the same ack', () => {
    const a = seedCoach(db, store);
    const t0 = Date.now();
    const tab = new StoreClient(store, a.coach, 'tab');
    tab.pushApplied([tab.op('trainee', uuid(), 'put', { coachId: a.coach.id, name: 'One' }), tab.op('trainee', uuid(), 'put', { coachId: a.coach.id, name: 'Two' })], t0);
    tab.pushApplied([tab.op('trainee', uuid(), 'put', { coachId: a.coach.id, name: 'Three' })], t0 + 2 * DAY);
    assert.equal(store.pruneLedger(new Date(t0 + 3 * DAY), 0), 2);
    const before = counts(db);
    // Only a client that reuses its seqs sends this (its file restored from a copy, say): the
    // contract calls any seq below nextSeq a duplicate. CoachDesk's client renumbers instead.
    const stranger = makeOp({ seq: 1, entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'Stranger' } });
    assert.deepEqual(tab.push([stranger], t0 + 3 * DAY).acks, [prunedReplay(stranger)]);
    assert.deepEqual(counts(db), before);
  });

  test('within the window a resend gets its original ack, under its own seq or a new one, and renews its entry', () => {
    const a = seedCoach(db, store);
    const t0 = Date.now();
    const tab = new StoreClient(store, a.coach, 'tab');
    const patch = tab.op('prescription', a.prescription, 'patch', { sets: 6 }, 7);
    const first = tab.push([patch], t0);
    assert.equal(first.acks[0]!.status, 'applied');
    assert.equal(store.pruneLedger(new Date(t0 + 29 * DAY), 30 * DAY), 0);
    const before = counts(db);

    const same = tab.push([{ ...patch }], t0 + 29 * DAY);
    assert.deepEqual(same.acks, [{ ...first.acks[0]!, replay: true }]);
    const renumbered = tab.push([{ ...patch, seq: 2 }], t0 + 29 * DAY);
    assert.deepEqual(renumbered.acks, [{ ...first.acks[0]!, seq: 2, replay: true }]);
    assert.deepEqual(counts(db), before, 'applied once');
    assert.equal(store.nextSeq(a.coach.id, 'tab'), 3);
    assert.equal(storedAt(db, patch.key), t0 + 29 * DAY, 'the resend renewed the entry');
  });

  test("an install that lost its acks and stays away past the retention (CoachDesk's client renumbers what it resends) still gets replays, not a second application", () => {
    const a = seedCoach(db, store);
    const t0 = Date.now();
    const tab = new StoreClient(store, a.coach, 'tab');
    const exercise = uuid();
    const put = tab.op('exercise', exercise, 'put', { coachId: a.coach.id, name: 'Front squat' });
    const patch = tab.op('exercise', exercise, 'patch', { name: 'Front squat (pause)' });
    const first = tab.pushApplied([put, patch], t0);
    // The connection died before the acks arrived; the laptop is put away for the off-season.
    assert.equal(store.pruneLedger(new Date(t0 + 200 * DAY), 90 * DAY), 0, 'its last push is not known to have been acked: kept');
    const before = counts(db);
    // Back: it renumbers its outbox from the nextSeq of the welcome (3) and resends, then edits on.
    const later = makeOp({ seq: 5, entity: 'exercise', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'Row' } });
    const back = tab.push([{ ...put, seq: 3 }, { ...patch, seq: 4 }, later], t0 + 200 * DAY);
    assert.deepEqual(
      back.acks.slice(0, 2),
      first.acks.map((x, i) => ({ ...x, seq: 3 + i, replay: true })),
    );
    assert.equal(storedRow(db, 'exercise', exercise)?.fields.name, 'Front squat (pause)');
    assert.equal(counts(db).version, before.version + 1, 'only the new edit was applied');

    // The resends renewed their entries; they go once the install has pushed a day after them
    // and they are past the window.
    assert.equal(store.pruneLedger(new Date(t0 + 300 * DAY), 90 * DAY), 0);
    tab.seq = 6;
    tab.pushApplied([tab.op('exercise', uuid(), 'put', { coachId: a.coach.id, name: 'Dip' })], t0 + 202 * DAY);
    assert.equal(store.pruneLedger(new Date(t0 + 300 * DAY), 90 * DAY), 3);
    assert.equal(prunedSeq(db, a.coach.id, 'tab'), 5);
  });

  test('pruning takes each install oldest first, at most `limit` entries a call; newer entries and those of installs not seen since stay', () => {
    const a = seedCoach(db, store);
    const t0 = Date.now() + DAY;
    const tab = new StoreClient(store, a.coach, 'tab');
    const keysByDay: string[][] = [];
    for (let day = 0; day < 12; day++) {
      const ops = Array.from({ length: 100 }, () => tab.op('exercise', uuid(), 'put', { coachId: a.coach.id, name: `Day ${day}` }));
      tab.pushApplied(ops, t0 + day * DAY);
      keysByDay.push(ops.map((o) => o.key));
    }
    const seedKeys = [...ledgerKeys(db)].filter((k) => !keysByDay.flat().includes(k));
    assert.equal(seedKeys.length, 8);
    // Days 0..9 are past a 30-day window on day 40.
    const now = new Date(t0 + 40 * DAY);
    assert.equal(store.pruneLedger(now, 30 * DAY, 250), 250);
    const afterFirst = ledgerKeys(db);
    assert.ok([...keysByDay[0]!, ...keysByDay[1]!].every((k) => !afterFirst.has(k)), 'the oldest went first');
    assert.ok(keysByDay.slice(3).flat().every((k) => afterFirst.has(k)));
    assert.equal(store.pruneLedger(now, 30 * DAY, 1), 1);
    assert.equal(store.pruneLedger(now, 30 * DAY), 749);
    assert.equal(store.pruneLedger(now, 30 * DAY), 0);
    // The seed's install pushed once and never again: whether its last acks arrived is unknown.
    assert.deepEqual(ledgerKeys(db), new Set([...seedKeys, ...keysByDay[10]!, ...keysByDay[11]!]));
    assert.equal(prunedSeq(db, a.coach.id, 'tab'), 1000);
    assert.equal(prunedSeq(db, a.coach.id, a.desk.clientId), 0);
  });
  /**
   * Under the seed's install (8 entries, never pushed again): an install that pushed 600 edits on
   * day 0 and went quiet, and two that pushed 300 each on days 1 and 2 and pushed again on day 5.
   */
  function quietAndBusy() {
    const a = seedCoach(db, store);
    const t0 = Date.now() + DAY;
    const push = (client: StoreClient, n: number, at: number) =>
      client.pushApplied(Array.from({ length: n }, () => client.op('exercise', uuid(), 'put', { coachId: a.coach.id, name: `${client.clientId} ${at}` })), at).acks.map((x) => x.key);
    const quiet = new StoreClient(store, a.coach, 'quiet');
    const tab = new StoreClient(store, a.coach, 'tab');
    const phone = new StoreClient(store, a.coach, 'phone');
    const quietKeys = push(quiet, 600, t0);
    const busyKeys = [...push(tab, 300, t0 + DAY), ...push(phone, 300, t0 + 2 * DAY)];
    push(tab, 1, t0 + 5 * DAY);
    push(phone, 1, t0 + 5 * DAY);
    return { a, t0, push, quiet, quietKeys, busyKeys };
  }

  test('pruning walks the ledger by age across installs: an install gone quiet keeps its last day without holding the others back, and its entries go once it pushes again', () => {
    const { a, t0, push, quiet, quietKeys, busyKeys } = quietAndBusy();
    const now = new Date(t0 + 40 * DAY);

    // Each call returns its limit while there is more to remove, and less once the walk is done.
    assert.deepEqual([250, 250, 250, 250].map((limit) => store.pruneLedger(now, 30 * DAY, limit)), [250, 250, 100, 0]);
    const left = ledgerKeys(db);
    assert.ok(quietKeys.every((k) => left.has(k)), "the quiet install's last day stays");
    assert.ok(busyKeys.every((k) => !left.has(k)));
    assert.equal(prunedSeq(db, a.coach.id, 'tab'), 300);
    assert.equal(prunedSeq(db, a.coach.id, 'phone'), 300);
    assert.equal(prunedSeq(db, a.coach.id, 'quiet'), 0);

    // Back after the retention, it pushes again: its old entries go on the next walk.
    quiet.seq = 601;
    push(quiet, 1, t0 + 41 * DAY);
    assert.equal(store.pruneLedger(new Date(t0 + 41 * DAY), 30 * DAY, 2000), 600);
    assert.ok(quietKeys.every((k) => !ledgerKeys(db).has(k)));
    assert.equal(prunedSeq(db, a.coach.id, 'quiet'), 600);
  });

  test('a serving process walks in steps that each read at most their share, the entries kept included, until the walk is done', () => {
    const { t0, quietKeys, busyKeys } = quietAndBusy();
    const now = new Date(t0 + 40 * DAY);
    // In age order: the seed's 8 and the quiet install's 600 (kept), the busy two's 600 (going),
    // their two of day 5 (kept: they have not pushed a day after them).
    const steps = Array.from({ length: 5 }, () => store.pruneLedgerStep(now, 30 * DAY, 250));
    assert.deepEqual(steps, [
      { removed: 0, done: false },
      { removed: 0, done: false },
      { removed: 142, done: false },
      { removed: 250, done: false },
      { removed: 208, done: true },
    ]);
    const left = ledgerKeys(db);
    assert.ok(quietKeys.every((k) => left.has(k)));
    assert.ok(busyKeys.every((k) => !left.has(k)));
    // The next walk starts from the oldest again.
    assert.deepEqual(store.pruneLedgerStep(now, 30 * DAY, 5000), { removed: 0, done: true });
    assert.throws(() => store.pruneLedgerStep(now, 30 * DAY, 0), /at least one entry/);
  });
});

/** The server schema of version 2, as server/db.ts had it before ledger retention (verbatim). */
const SCHEMA_2 = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('coach', 'trainee')),
  name TEXT,
  coach_id TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  last_seen_at TEXT
);
-- A coach's invite of a trainee: the code is stored only as its sha-256. Single use: a join
-- sets used_at (and issues a token) in one transaction.
CREATE TABLE IF NOT EXISTS invites (
  id TEXT PRIMARY KEY,
  trainee_id TEXT NOT NULL,
  coach_id TEXT NOT NULL,
  code_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  cancelled_at TEXT
);
CREATE INDEX IF NOT EXISTS invites_by_trainee ON invites (trainee_id, created_at);
CREATE TABLE IF NOT EXISTS canonical_rows (
  entity TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  fields TEXT NOT NULL,
  by TEXT NOT NULL,
  meta TEXT NOT NULL,
  coach_id TEXT,
  trainee_id TEXT,
  owner_id TEXT,
  parent_id TEXT,
  ref_id TEXT,
  PRIMARY KEY (entity, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rows_by_coach ON canonical_rows (coach_id, version) WHERE coach_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS rows_by_trainee ON canonical_rows (trainee_id, version) WHERE trainee_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS rows_by_owner ON canonical_rows (owner_id, version) WHERE owner_id IS NOT NULL;
-- A coach's trainees, for the list of who has access.
CREATE INDEX IF NOT EXISTS trainees_by_coach ON canonical_rows (coach_id, id) WHERE entity = 'trainee';
CREATE INDEX IF NOT EXISTS rows_by_parent ON canonical_rows (parent_id) WHERE parent_id IS NOT NULL;
-- Who sees an exercise (the trainees it is prescribed to) and which exercises a trainee sees:
-- both answered from these indexes alone, without reading the rows.
DROP INDEX IF EXISTS rows_by_ref;
CREATE INDEX IF NOT EXISTS prescribed_to ON canonical_rows (ref_id, trainee_id) WHERE entity = 'prescription' AND deleted = 0;
CREATE INDEX IF NOT EXISTS prescribed_for ON canonical_rows (trainee_id, ref_id) WHERE entity = 'prescription' AND deleted = 0;
-- The same for the exercises of trainees' maxes.
CREATE INDEX IF NOT EXISTS maxes_of ON canonical_rows (ref_id, trainee_id) WHERE entity = 'max' AND deleted = 0;
CREATE INDEX IF NOT EXISTS maxes_for ON canonical_rows (trainee_id, ref_id) WHERE entity = 'max' AND deleted = 0;
CREATE TABLE IF NOT EXISTS scope_exits (
  user_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  entity TEXT NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (user_id, version, entity, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger (
  user_id TEXT NOT NULL,
  key TEXT NOT NULL,
  client_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  ack TEXT NOT NULL,
  PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clients (
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  next_seq INTEGER NOT NULL,
  last_seen TEXT NOT NULL,
  PRIMARY KEY (user_id, client_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS server_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** A file opened by this code: schema 5, intact, the ledger's one index on its age alone. */
function assertSchema5(d: Db): void {
  assert.equal(d.pragma('user_version', { simple: true }), 5);
  assert.equal(d.pragma('integrity_check', { simple: true }), 'ok');
  assert.deepEqual(d.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger'`).pluck().all(), ['ledger_by_age']);
}

describe('schema 2 → 3 → 4 → 5', () => {
  test('a schema-2 file opens as schema 5: its entries take the migration time, replays get their acks, and entries go once past the window', () => {
    // A file as the previous code left it: schema 2's SQL, with the rows its pushes wrote (the
    // same push code made them; the ledger and clients keep schema 2's columns only).
    const source = seedCoach(db, store);
    const tab = new StoreClient(store, source.coach, 'tab');
    const ops = [tab.op('trainee', uuid(), 'put', { coachId: source.coach.id, name: 'Old' }), tab.op('prescription', source.prescription, 'patch', { sets: 7 }, 7)];
    const acks = tab.pushApplied(ops).acks;
    const oldFile = join(dir, 'schema2.db');
    const old = new Database(oldFile);
    old.exec(SCHEMA_2);
    old.exec(`ATTACH DATABASE '${db.name}' AS cur`);
    for (const table of ['users', 'tokens', 'invites', 'canonical_rows', 'scope_exits', 'server_meta']) old.exec(`INSERT INTO main.${table} SELECT * FROM cur.${table}`);
    old.exec(`INSERT INTO main.ledger SELECT user_id, key, client_id, seq, hash, ack FROM cur.ledger`);
    old.exec(`INSERT INTO main.clients SELECT user_id, client_id, next_seq, last_seen FROM cur.clients`);
    old.exec(`DETACH DATABASE cur`);
    old.pragma('user_version = 2');
    const oldLedger = old.prepare(`SELECT * FROM ledger ORDER BY user_id, key`).all();
    old.close();
    db.close();

    const openedAt = Date.now();
    const migrated = openServerDb(oldFile);
    const doneAt = Date.now();
    try {
      assert.equal(SCHEMA_VERSION, 5);
      assertSchema5(migrated);
      assert.ok(ledgerKeyedByKey(migrated), 'the ledger keyed by key first (schema 4)');
      const entries = migrated.prepare(`SELECT * FROM ledger ORDER BY user_id, key`).all() as Array<Record<string, unknown> & { stored_at: number }>;
      assert.deepEqual(
        entries.map(({ stored_at: _, ...rest }) => rest),
        oldLedger,
        'every entry kept as it was',
      );
      const times = new Set(entries.map((e) => e.stored_at));
      assert.equal(times.size, 1, 'one time for all: the migration');
      const migratedAt = [...times][0]!;
      assert.ok(migratedAt >= openedAt && migratedAt <= doneAt);
      assert.deepEqual(migrated.prepare(`SELECT DISTINCT pruned_seq FROM clients`).pluck().all(), [0]);

      const s = new CanonicalStore(migrated);
      const again = new StoreClient(s, tab.user, 'tab');
      const replay = again.push(ops.map((o) => ({ ...o })), migratedAt + DAY);
      assert.deepEqual(replay.acks, acks.map((x) => ({ ...x, replay: true })), 'the stored acks, as before');
      again.seq = 3;
      const fresh = again.op('trainee', uuid(), 'put', { coachId: source.coach.id, name: 'New' });
      again.pushApplied([fresh], migratedAt + 3 * DAY);
      assert.equal(storedAt(migrated, fresh.key), migratedAt + 3 * DAY, 'new entries carry their own time');

      assert.equal(s.pruneLedger(new Date(migratedAt + 89 * DAY), 90 * DAY), 0);
      // The tablet's two go; the desk's stay until the desk pushes again (see the test above).
      assert.equal(s.pruneLedger(new Date(migratedAt + 92 * DAY), 90 * DAY), 2);
      const before = counts(migrated);
      const late = again.push(ops.map((o) => ({ ...o })), migratedAt + 92 * DAY);
      assert.deepEqual(late.acks, ops.map(prunedReplay), 'pruned, and still not applied twice');
      assert.deepEqual(counts(migrated), before);
    } finally {
      migrated.close();
    }
    // Opening it again changes nothing.
    const reopened = openServerDb(oldFile);
    try {
      assert.equal(reopened.pragma('user_version', { simple: true }), 5);
      assert.equal(ledgerSize(reopened), oldLedger.length - 1);
    } finally {
      reopened.close();
    }
  });

  test('a schema-3 file opens as schema 5: its ledger rebuilt key first, every entry as it was, replays and pruning as before', () => {
    const source = seedCoach(db, store);
    const tab = new StoreClient(store, source.coach, 'tab');
    const t0 = Date.parse('2026-05-01T10:00:00.000Z');
    const ops = [tab.op('trainee', uuid(), 'put', { coachId: source.coach.id, name: 'Old' }), tab.op('prescription', source.prescription, 'patch', { sets: 7 }, 7)];
    const acks = tab.pushApplied(ops, t0).acks;
    // The ledger as schema 3 kept it: keyed by user first.
    db.exec(`CREATE TABLE ledger_3 (user_id TEXT NOT NULL, key TEXT NOT NULL, client_id TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL,
      ack TEXT NOT NULL, stored_at INTEGER NOT NULL, PRIMARY KEY (user_id, key)) WITHOUT ROWID;
      INSERT INTO ledger_3 SELECT user_id, key, client_id, seq, hash, ack, stored_at FROM ledger;
      DROP TABLE ledger; ALTER TABLE ledger_3 RENAME TO ledger;
      CREATE INDEX ledger_by_client_age ON ledger (user_id, client_id, stored_at);`);
    db.pragma('user_version = 3');
    assert.ok(!ledgerKeyedByKey(db));
    const before = db.prepare(`SELECT * FROM ledger ORDER BY user_id, key`).all();
    const file = db.name;
    db.close();

    const migrated = openServerDb(file);
    try {
      assertSchema5(migrated);
      assert.ok(ledgerKeyedByKey(migrated));
      assert.deepEqual(migrated.prepare(`SELECT * FROM ledger ORDER BY user_id, key`).all(), before, 'every entry, its time included, kept');
      const s = new CanonicalStore(migrated);
      const again = new StoreClient(s, tab.user, 'tab');
      assert.deepEqual(again.push(ops.map((o) => ({ ...o })), t0 + DAY).acks, acks.map((x) => ({ ...x, replay: true })));
      again.seq = 3;
      again.pushApplied([again.op('trainee', uuid(), 'put', { coachId: source.coach.id, name: 'New' })], t0 + 3 * DAY);
      assert.equal(s.pruneLedger(new Date(t0 + 92 * DAY), 90 * DAY), 2, 'the old entries go once past the window');
    } finally {
      migrated.close();
    }
  });

  test('a schema-4 file opens as schema 5: the age index led by the install is replaced by one on stored_at, and pruning goes on as before', () => {
    const a = seedCoach(db, store);
    const t0 = Date.parse('2026-05-01T10:00:00.000Z');
    const tab = new StoreClient(store, a.coach, 'tab');
    tab.pushApplied([tab.op('trainee', uuid(), 'put', { coachId: a.coach.id, name: 'Old' })], t0);
    db.exec(`DROP INDEX ledger_by_age; CREATE INDEX ledger_by_client_age ON ledger (user_id, client_id, stored_at)`);
    db.pragma('user_version = 4');
    const before = db.prepare(`SELECT * FROM ledger ORDER BY key`).all();
    const file = db.name;
    db.close();

    const migrated = openServerDb(file);
    try {
      assertSchema5(migrated);
      assert.deepEqual(migrated.prepare(`SELECT * FROM ledger ORDER BY key`).all(), before, 'every entry kept');
      const s = new CanonicalStore(migrated);
      const again = new StoreClient(s, tab.user, 'tab');
      again.seq = 2;
      again.pushApplied([again.op('trainee', uuid(), 'put', { coachId: a.coach.id, name: 'New' })], t0 + 3 * DAY);
      assert.equal(s.pruneLedger(new Date(t0 + 92 * DAY), 90 * DAY), 1, "the tablet's old entry goes once past the window");
    } finally {
      migrated.close();
    }
  });

  test('a file of a newer schema than 5 is refused', () => {
    db.pragma('user_version = 6');
    db.close();
    assert.throws(() => openServerDb(join(dir, 'server.db')), /newer CoachDesk server \(schema 6, this one knows 5\)/);
  });
});
