// The PostgreSQL store (server/pg/canonical-store.ts) against the SQLite one, and what several
// nodes on one database need of it: the same answers for the same pushes, versions in commit
// order (no reader ever skips a row), one application of an op pushed to two nodes at once, and
// per-client seqs that hold when an install moves to another node.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Action, Entity, Fields, Row } from '../../protocol/index.ts';
import type { User } from '../../server/auth.ts';
import { PgCanonicalStore } from '../../server/pg/canonical-store.ts';
import type { PushOutcome } from '../../server/store-core.ts';
import { tempDir } from '../helpers.ts';
import { freshPgDatabase, type TestPgDatabase } from './pg-support.ts';
import { makeOp, openStore, uuid, type RawOp } from './support.ts';

const tmp = tempDir('coachdesk-pg-store-');
const dbs: TestPgDatabase[] = [];
after(async () => {
  for (const d of dbs) await d.drop();
  tmp.cleanup();
});
async function database(): Promise<TestPgDatabase> {
  const d = await freshPgDatabase();
  dbs.push(d);
  return d;
}

function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32);
}

interface Push {
  user: User;
  clientId: string;
  ops: RawOp[];
  receivedAt: number;
}

/**
 * A coach, two trainees and their phones: a program built, sets logged, both sides editing the
 * same rows with clocks that disagree, a program moved to the other trainee (its children
 * follow, the first trainee gets tombstones), deletes, an invalid op, a replay, a reused key, a
 * gap in seqs. Deterministic from the seed.
 */
function workload(seed: number): { pushes: Push[]; users: User[] } {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const coach: User = { id: uuid(), role: 'coach', name: 'Ana', coachId: null };
  const t1 = uuid();
  const t2 = uuid();
  const trainees: User[] = [t1, t2].map((id) => ({ id, role: 'trainee', name: null, coachId: coach.id }));
  const seqs = new Map<string, number>();
  let clock = Date.parse('2026-11-01T08:00:00Z');
  const pushes: Push[] = [];
  const push = (user: User, clientId: string, ops: Array<{ entity: Entity; id: string; action: Action; fields?: Fields; key?: string; seq?: number; at?: string }>) => {
    clock += 1000;
    const out = ops.map((o) => {
      const seq = o.seq ?? (seqs.get(clientId) ?? 1);
      if (o.seq === undefined) seqs.set(clientId, seq + 1);
      return makeOp({ ...o, seq, at: o.at ?? new Date(clock - Math.floor(rnd() * 5000)).toISOString() });
    });
    pushes.push({ user, clientId, ops: out, receivedAt: clock });
    return out;
  };
  const ex = [uuid(), uuid(), uuid()];
  const program = uuid();
  const workouts = [uuid(), uuid()];
  const rx = [uuid(), uuid(), uuid()];
  push(coach, 'desk', [
    { entity: 'trainee', id: t1, action: 'put', fields: { coachId: coach.id, name: 'Ben' } },
    { entity: 'trainee', id: t2, action: 'put', fields: { coachId: coach.id, name: 'Cleo' } },
    ...ex.map((id, i) => ({ entity: 'exercise' as const, id, action: 'put' as const, fields: { coachId: coach.id, name: `Ex ${i}` } })),
    { entity: 'program', id: program, action: 'put', fields: { coachId: coach.id, traineeId: t1, name: 'Block', weeks: 4 } },
    ...workouts.map((id, i) => ({ entity: 'workout' as const, id, action: 'put' as const, fields: { programId: program, week: 1, day: i + 1, title: `Day ${i + 1}` } })),
    ...rx.map((id, i) => ({ entity: 'prescription' as const, id, action: 'put' as const, fields: { workoutId: workouts[i % 2]!, exerciseId: ex[i]!, position: i, sets: 3, reps: '5', load: 100, loadUnit: 'kg' } })),
    { entity: 'settings', id: uuid(), action: 'put', fields: { userId: coach.id, units: 'kg', weekStartsOn: 1 } },
  ]);
  const sessions: string[] = [];
  const sets: string[] = [];
  for (let round = 0; round < 30; round++) {
    const kind = pick(['log', 'log', 'coachRx', 'traineeRx', 'session', 'deleteSet', 'laptop'] as const);
    if (kind === 'log') {
      const session = sessions.length && rnd() < 0.5 ? pick(sessions) : uuid();
      const ops: Parameters<typeof push>[2] = [];
      if (!sessions.includes(session)) {
        sessions.push(session);
        ops.push({ entity: 'session', id: session, action: 'put', fields: { traineeId: t1, workoutId: workouts[0]!, date: '2026-11-02', status: 'in_progress' } });
      }
      for (let i = 0; i < 3; i++) {
        const id = uuid();
        sets.push(id);
        ops.push({ entity: 'set_log', id, action: 'put', fields: { sessionId: session, prescriptionId: rx[0]!, exerciseId: ex[0]!, setIndex: i, reps: 5, load: 100 + round, loadUnit: 'kg', done: true } });
      }
      push(trainees[0]!, 'phone', ops);
    } else if (kind === 'coachRx') push(coach, pick(['desk', 'laptop']), [{ entity: 'prescription', id: pick(rx), action: 'patch', fields: { load: 90 + Math.floor(rnd() * 40), notes: `round ${round}` } }]);
    else if (kind === 'traineeRx') push(trainees[0]!, 'phone', [{ entity: 'prescription', id: pick(rx), action: 'patch', fields: pick([{ notes: 'felt heavy' }, { load: 1 }]) }]);
    else if (kind === 'session' && sessions.length) {
      const s = pick(sessions);
      push(coach, 'desk', [{ entity: 'session', id: s, action: 'patch', fields: { status: 'skipped' } }]);
      push(trainees[0]!, 'phone', [{ entity: 'session', id: s, action: 'patch', fields: { status: 'completed', rpe: 8 } }]);
    } else if (kind === 'deleteSet' && sets.length) push(trainees[0]!, 'phone', [{ entity: 'set_log', id: pick(sets), action: 'delete' }]);
    else push(coach, 'laptop', [{ entity: 'exercise', id: pick(ex), action: 'patch', fields: { name: `Renamed ${round}` } }]);
  }
  // The program moves to the other trainee; an exercise is deleted; an invalid op.
  push(coach, 'desk', [
    { entity: 'program', id: program, action: 'patch', fields: { traineeId: t2 } },
    { entity: 'exercise', id: ex[2]!, action: 'delete' },
    { entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: coach.id } },
  ]);
  // A replay, a reused key with other content, and a gap in seqs.
  const last = pushes.at(-1)!.ops[0]!;
  pushes.push({ user: coach, clientId: 'desk', ops: [last], receivedAt: (clock += 1000) });
  push(coach, 'desk', [{ entity: 'exercise', id: ex[0]!, action: 'patch', fields: { name: 'Other' }, key: last.key }]);
  push(coach, 'desk', [{ entity: 'exercise', id: ex[1]!, action: 'patch', fields: { name: 'Ahead' }, seq: (seqs.get('desk') ?? 1) + 5 }]);
  push(trainees[1]!, 'phone-2', [{ entity: 'session', id: uuid(), action: 'put', fields: { traineeId: t2, date: '2026-11-20', status: 'completed' } }]);
  return { pushes, users: [coach, ...trainees] };
}

const byKey = (rows: Row[]) => [...rows].sort((a, b) => a.version - b.version || a.entity.localeCompare(b.entity) || a.id.localeCompare(b.id));
const changesOf = (o: PushOutcome) => Object.fromEntries([...o.changes.entries()].map(([u, rows]) => [u, byKey(rows)]).sort());

describe('PostgreSQL store', () => {
  let db: TestPgDatabase;
  before(async () => {
    db = await database();
  });

  test('answers every push as the SQLite store does: acks, changes per user, versions, and each user’s catch-up', async () => {
    const { pushes, users } = workload(7);
    const sqlite = openStore(tmp.dir, 'parity.db');
    const pgStore = new PgCanonicalStore(db.pool);
    try {
      let statuses = new Set<string>();
      for (const [i, p] of pushes.entries()) {
        const a = sqlite.store.push(p.user, p.clientId, p.ops, p.receivedAt);
        const b = await pgStore.push(p.user, p.clientId, p.ops, p.receivedAt);
        assert.deepEqual(b.acks, a.acks, `push ${i}: acks`);
        assert.equal(b.version, a.version, `push ${i}: version`);
        assert.equal(b.expectedSeq, a.expectedSeq, `push ${i}: expectedSeq`);
        assert.deepEqual(changesOf(b), changesOf(a), `push ${i}: changes`);
        for (const ack of a.acks) statuses.add(`${ack.status}${ack.reason ? `:${ack.reason}` : ''}${ack.replay ? ':replay' : ''}`);
      }
      // The workload covers what it says it does.
      for (const s of ['applied', 'rejected:invalid', 'rejected:idempotency_key_reused', 'applied:replay']) assert.ok(statuses.has(s), `${s} in ${[...statuses]}`);
      assert.ok([...statuses].some((s) => s.startsWith('superseded') || s.startsWith('partial')), `a conflict in ${[...statuses]}`);
      assert.equal(await pgStore.currentVersion(), sqlite.store.currentVersion);
      for (const user of users) {
        for (const since of [0, Math.floor(sqlite.store.currentVersion / 2)]) {
          const a = sqlite.store.catchUp(user, since);
          const b = await pgStore.catchUp(user, since);
          assert.equal(b.version, a.version);
          assert.deepEqual(b.rows, a.rows, `${user.role} ${user.id} since ${since}`);
        }
      }
      for (const user of users) assert.equal(await pgStore.nextSeq(user.id, user.role === 'coach' ? 'desk' : 'phone'), sqlite.store.nextSeq(user.id, user.role === 'coach' ? 'desk' : 'phone'));
    } finally {
      sqlite.db.close();
    }
  });
});

describe('several nodes on one PostgreSQL database', () => {
  const coach: User = { id: uuid(), role: 'coach', name: 'Ana', coachId: null };
  const put = (seq: number, name: string, key?: string) => makeOp({ seq, entity: 'exercise', id: uuid(), action: 'put', fields: { coachId: coach.id, name }, ...(key ? { key } : {}) });

  test('versions are visible in commit order: two nodes interleave transactions and a reader polling by version never skips a row', async () => {
    const db = await database();
    const nodeA = new PgCanonicalStore(db.pool2(2));
    const nodeB = new PgCanonicalStore(db.pool2(2));
    const reader = new PgCanonicalStore(db.pool2(2));
    // A takes its versions and waits before committing; B starts meanwhile and must not commit
    // a later version first (it waits for A's lock), so a reader sees A's rows no later than B's.
    let releaseA!: () => void;
    const aHolding = new Promise<void>((resolve) => {
      const gate = new Promise<void>((r) => (releaseA = r));
      void nodeA.pushGroup([{ user: coach, clientId: 'a', ops: [put(1, 'A1'), put(2, 'A2')], receivedAt: Date.now() }], { beforeCommit: () => (resolve(), gate) });
    });
    await aHolding;
    let bDone = false;
    const b = nodeB.push(coach, 'b', [put(1, 'B1')], Date.now()).then((o) => ((bDone = true), o));
    await new Promise((r) => setTimeout(r, 150));
    const seenWhileHeld = await reader.catchUp(coach, 0);
    assert.equal(bDone, false, 'B waits for A: versions are taken in commit order');
    assert.deepEqual(seenWhileHeld.rows, [], 'nothing of A is visible before it commits');
    releaseA();
    const outcomeB = await b;
    assert.equal(outcomeB.acks[0]!.version, 3, 'B got the version after A’s two');

    // Then many pushes from two nodes at once, and a reader that polls from the last version it saw.
    const seen = new Map<string, number>();
    let since = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const page = await reader.catchUp(coach, since);
        for (const row of page.rows) {
          assert.ok(row.version > since, 'a page only holds rows above the cursor');
          seen.set(row.id, row.version);
        }
        since = page.version;
      }
    })();
    const writes = [nodeA, nodeB].map(async (node, n) => {
      let seq = n === 0 ? 3 : 2;
      for (let i = 0; i < 40; i++) await node.push(coach, n === 0 ? 'a' : 'b', [put(seq++, `n${n}-${i}`), put(seq++, `n${n}-${i}b`)], Date.now());
    });
    await Promise.all(writes);
    polling = false;
    await poller;
    const last = await reader.catchUp(coach, since);
    for (const row of last.rows) seen.set(row.id, row.version);
    const all = await reader.catchUp(coach, 0);
    assert.equal(all.rows.length, 3 + 160);
    // Every row was seen by the poller at the version it has: none skipped, none seen twice in another state.
    for (const row of all.rows) assert.equal(seen.get(row.id), row.version, `row ${row.id} at ${row.version} was skipped`);
    assert.deepEqual(all.rows.map((r) => r.version), Array.from({ length: 163 }, (_, i) => i + 1), 'versions have no gaps');
  });

  test('the same op pushed to two nodes at once is applied once; both answers carry the same outcome', async () => {
    const db = await database();
    const nodes = [new PgCanonicalStore(db.pool2(2)), new PgCanonicalStore(db.pool2(2))];
    for (let round = 0; round < 10; round++) {
      const op = put(round + 1, `Same ${round}`);
      const [a, b] = await Promise.all(nodes.map((node) => node.push(coach, 'desk', [op], Date.now())));
      const acks = [a!.acks[0]!, b!.acks[0]!];
      assert.deepEqual(acks.map((x) => x.status), ['applied', 'applied']);
      assert.equal(acks[0]!.version, acks[1]!.version, 'the same version in both answers');
      assert.deepEqual(acks.map((x) => x.replay).sort(), [false, true], 'one applied it, the other replayed it');
    }
    const { rows } = await db.pool.query(`SELECT COUNT(*)::int AS n FROM canonical_rows`);
    assert.equal(rows[0].n, 10);
    const ledger = await db.pool.query(`SELECT COUNT(*)::int AS n FROM ledger`);
    assert.equal(ledger.rows[0].n, 10);
  });

  test('an install that reconnects to another node mid-drain goes on from the seq the first node took', async () => {
    const db = await database();
    const [a, b] = [new PgCanonicalStore(db.pool2(2)), new PgCanonicalStore(db.pool2(2))];
    const ops = Array.from({ length: 10 }, (_, i) => put(i + 1, `Drain ${i}`));
    await a.push(coach, 'laptop', ops.slice(0, 4), Date.now());
    assert.equal(await b.nextSeq(coach.id, 'laptop'), 5, 'the other node knows where the install stands');
    // The connection to A dropped before its last acks arrived: the install resends from 3 to B.
    const out = await b.push(coach, 'laptop', ops.slice(2), Date.now());
    assert.deepEqual(out.acks.map((x) => [x.seq, x.status, x.replay]), ops.slice(2).map((o, i) => [o.seq, 'applied', i < 2]));
    const ahead = await a.push(coach, 'laptop', [put(20, 'ahead')], Date.now());
    assert.equal(ahead.expectedSeq, 11, 'a seq ahead is refused on any node');
    assert.equal((await a.catchUp(coach, 0)).rows.length, 10);
  });

  test('ledger retention walks the ledger by age across installs on every node: a quiet install keeps its last day, the walk goes on from step to step, pruned seqs per install', async () => {
    const db = await database();
    const [a, b] = [new PgCanonicalStore(db.pool2(2)), new PgCanonicalStore(db.pool2(2))];
    const DAY = 86_400_000;
    const t0 = Date.now() - 60 * DAY;
    const seqs = new Map<string, number>();
    const pushOn = async (node: PgCanonicalStore, clientId: string, n: number, at: number) => {
      const start = seqs.get(clientId) ?? 1;
      seqs.set(clientId, start + n);
      const out = await node.push(coach, clientId, Array.from({ length: n }, (_, i) => put(start + i, `${clientId} ${i}`)), at);
      assert.ok(out.acks.every((x) => x.status === 'applied'));
      return out.acks.map((x) => x.key);
    };
    const quiet = await pushOn(a, 'quiet', 6, t0);
    const busy = [...(await pushOn(a, 'tab', 4, t0 + DAY)), ...(await pushOn(b, 'phone', 4, t0 + 2 * DAY))];
    await pushOn(a, 'tab', 1, t0 + 5 * DAY);
    await pushOn(b, 'phone', 1, t0 + 5 * DAY);
    const now = new Date(t0 + 40 * DAY);
    const keys = async () => new Set((await db.pool.query<{ key: string }>(`SELECT key FROM ledger`)).rows.map((r) => r.key));

    // Steps of 5 entries read: the quiet 6 first (kept), then the busy 8, then the day-5 two (kept).
    const steps = [];
    for (let i = 0; i < 4; i++) steps.push(await a.pruneLedgerStep(now, 30 * DAY, 5));
    assert.deepEqual(steps, [
      { removed: 0, done: false },
      { removed: 4, done: false },
      { removed: 4, done: false },
      { removed: 0, done: true },
    ]);
    const left = await keys();
    assert.ok(quiet.every((k) => left.has(k)));
    assert.ok(busy.every((k) => !left.has(k)));
    const pruned = await db.pool.query<{ client_id: string; pruned_seq: number }>(`SELECT client_id, pruned_seq FROM clients ORDER BY client_id`);
    assert.deepEqual(pruned.rows.map((r) => [r.client_id, r.pruned_seq]), [['phone', 4], ['quiet', 0], ['tab', 4]]);

    // The quiet install pushes again: the other node's walk (its own) removes its old entries.
    await pushOn(a, 'quiet', 1, t0 + 41 * DAY);
    assert.equal(await b.pruneLedger(new Date(t0 + 41 * DAY), 30 * DAY, 100), 6);
    const after = await keys();
    assert.ok(quiet.every((k) => !after.has(k)));
    assert.equal((await db.pool.query<{ pruned_seq: number }>(`SELECT pruned_seq FROM clients WHERE client_id = 'quiet'`)).rows[0]!.pruned_seq, 6);
  });
});

