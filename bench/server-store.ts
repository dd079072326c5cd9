// The server's store driven in-process, without sockets: where a push's time goes when the
// network and the load generator are out of the picture (bench/server-throughput.ts measures
// the whole server). Two modes:
//
//   node --import tsx bench/server-store.ts [--clients 1000] [--batch 20] [--per-commit 100] [--rounds 4]
//     Each client is a coach pushing `batch` new exercises; `per-commit` pushes share a commit as
//     the server groups them. Per acked op, µs: parsing the frames, CanonicalStore.pushGroup,
//     serialising the acks and rows, and the process's CPU time; min and median over rounds.
//   ... --statements: the SQL a new row's push runs per op (ledger read, row read, row insert,
//     ledger insert) and the commit, timed apart, with the WAL written per commit.
//   ... --ledger-by-user: either mode with the ledger as schema 3 had it: keyed (user_id, key),
//     its age index (user_id, client_id, stored_at).
//   ... --age-by-install: the ledger's age index as schema 4 had it, (user_id, client_id,
//     stored_at), instead of schema 5's on stored_at alone.
//
// SQLITE_PRAGMAS='wal_autocheckpoint=0;cache_size=-65536' applies pragmas to the store's database.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId, parseClientFrame } from '../protocol/index.ts';
import { addCoach, type User } from '../server/auth.ts';
import { CanonicalStore, type PushOutcome } from '../server/canonical-store.ts';
import { openServerDb, type Db } from '../server/db.ts';
import type { RawOp } from '../server/store-core.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number above 0, not ${process.argv[i + 1]}`);
  return value;
}

const clients = option('clients', 1000);
const batch = option('batch', 20);
const perCommit = option('per-commit', 100);
const rounds = option('rounds', 4);

function applyPragmas(db: Db): void {
  for (const p of (process.env.SQLITE_PRAGMAS ?? '').split(';').filter(Boolean)) db.pragma(p);
}

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `min ${sorted[0]!.toFixed(2)} median ${sorted[sorted.length >> 1]!.toFixed(2)}`;
};

const exerciseFields = (coachId: string) => ({ coachId, name: 'Romanian deadlift', category: 'hinge' });

/** Pushes through CanonicalStore as the sync server does, round after round. */
function storeRounds(db: Db): void {
  const coaches = db.transaction(() => Array.from({ length: clients }, (_, i) => addCoach(db, `Coach ${i}`)))();
  const store = new CanonicalStore(db);
  const users: User[] = coaches.map((c, i) => ({ id: c.userId, role: 'coach', name: `Coach ${i}`, coachId: null }));
  const clientIds = users.map(() => randomUUID());
  const seqs = users.map(() => 1);
  const frames = () =>
    users.map((user, i) => {
      const ops = Array.from({ length: batch }, () => ({ key: newId(), seq: seqs[i]!++, at: new Date().toISOString(), entity: 'exercise', id: newId(), action: 'put', fields: exerciseFields(user.id), baseVersion: 0 }));
      return Buffer.from(JSON.stringify({ type: 'push', ops }));
    });
  const perOp = { parse: [] as number[], push: [] as number[], answer: [] as number[], cpu: [] as number[] };
  // Round 0 warms up and is not counted.
  for (let round = 0; round <= rounds; round++) {
    const buffers = frames();
    const cpuBefore = process.cpuUsage();
    let parseMs = 0;
    let pushMs = 0;
    let answerMs = 0;
    for (let first = 0; first < clients; first += perCommit) {
      const t0 = performance.now();
      const pushes: Array<{ user: User; clientId: string; ops: RawOp[]; receivedAt: number }> = [];
      for (let i = first; i < Math.min(clients, first + perCommit); i++) {
        const parsed = parseClientFrame(buffers[i]!.toString());
        if (!parsed.ok || parsed.message.type !== 'push') throw new Error(`server-store bench: a frame was refused: ${parsed.ok ? parsed.message.type : parsed.message}`);
        pushes.push({ user: users[i]!, clientId: clientIds[i]!, ops: parsed.message.ops as RawOp[], receivedAt: Date.now() });
      }
      const t1 = performance.now();
      const outcomes = store.pushGroup(pushes);
      const t2 = performance.now();
      for (const outcome of outcomes) answer(outcome);
      const t3 = performance.now();
      parseMs += t1 - t0;
      pushMs += t2 - t1;
      answerMs += t3 - t2;
    }
    const cpu = process.cpuUsage(cpuBefore);
    if (round === 0) continue;
    const ops = clients * batch;
    perOp.parse.push((parseMs * 1000) / ops);
    perOp.push.push((pushMs * 1000) / ops);
    perOp.answer.push((answerMs * 1000) / ops);
    perOp.cpu.push((cpu.user + cpu.system) / ops);
  }
  console.log(`Store in-process: ${clients} coaches × ${batch} new rows, ${perCommit} pushes per commit, ${rounds} rounds; µs per acked op`);
  console.log(`  parse frames     ${stats(perOp.parse)}`);
  console.log(`  pushGroup        ${stats(perOp.push)}`);
  console.log(`  acks and rows    ${stats(perOp.answer)}`);
  console.log(`  CPU (process)    ${stats(perOp.cpu)}`);
}

/** What the server sends back for a push: the rows to the pusher, then an ack frame each. */
function answer(outcome: PushOutcome | Error): void {
  if (outcome instanceof Error) throw outcome;
  for (const acked of outcome.acks) if (acked.status !== 'applied') throw new Error(`server-store bench: an op was ${acked.status}: ${acked.message ?? ''}`);
  for (const [, rows] of outcome.changes) JSON.stringify({ type: 'changes', to: outcome.version, rows });
  for (const acked of outcome.acks) JSON.stringify(acked);
}

/** The statements of a new row's push, timed apart, with the commit. */
function statementRounds(db: Db, file: string): void {
  const getRow = db.prepare(`SELECT * FROM canonical_rows WHERE entity = ? AND id = ?`);
  // A plain INSERT where the server upserts: every row here is new.
  const putRow = db.prepare(
    `INSERT INTO canonical_rows (entity, id, version, deleted, fields, by, meta, coach_id, trainee_id, owner_id, parent_id, ref_id)
     VALUES (?, ?, ?, 0, ?, ?, ?, ?, NULL, NULL, NULL, NULL)`,
  );
  const ledgerGet = db.prepare(`SELECT hash, ack FROM ledger WHERE user_id = ? AND key = ?`);
  const ledgerPut = db.prepare(`INSERT INTO ledger (user_id, key, client_id, seq, hash, ack, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const coaches = Array.from({ length: clients }, () => newId());
  const clientId = randomUUID();
  const perCommitOps = batch * perCommit;
  const ns = { 'ledger read': 0n, 'row read': 0n, 'row insert': 0n, 'ledger insert': 0n, commit: 0n };
  let version = 0;
  let walBytes = 0;
  for (let round = 0; round < rounds; round++) {
    const walBefore = walSize(file);
    db.exec('BEGIN');
    for (let i = 0; i < perCommitOps; i++) {
      // Coaches take turns, as their pushes interleave in a group.
      const coach = coaches[Math.floor(i / batch) % clients]!;
      const key = newId();
      const id = newId();
      let t = process.hrtime.bigint();
      const lap = (part: keyof typeof ns) => {
        const now = process.hrtime.bigint();
        ns[part] += now - t;
        t = now;
      };
      ledgerGet.get(coach, key);
      lap('ledger read');
      getRow.get('exercise', id);
      lap('row read');
      version++;
      putRow.run('exercise', id, version, JSON.stringify(exerciseFields(coach)), coach, `[[{"v":${version},"t":${Date.now()},"u":"${coach}","c":"${clientId}","r":"coach"}],{"coachId":0,"name":0,"category":0}]`, coach);
      lap('row insert');
      ledgerPut.run(coach, key, clientId, i + 1, 'x'.repeat(43), `{"status":"applied","version":${version}}`, Date.now());
      lap('ledger insert');
    }
    const t = process.hrtime.bigint();
    db.exec('COMMIT');
    ns.commit += process.hrtime.bigint() - t;
    const walAfter = walSize(file);
    if (walAfter >= walBefore) walBytes += walAfter - walBefore;
  }
  const ops = BigInt(rounds * perCommitOps);
  console.log(`Statements of a new row's push: ${clients} coaches, ${perCommitOps} ops per commit, ${rounds} commits; µs per op`);
  console.log(`  ${Object.entries(ns).map(([part, total]) => `${part} ${(Number(total / ops) / 1000).toFixed(2)}`).join(', ')}`);
  const checkpoints = Number(db.pragma('wal_autocheckpoint', { simple: true })) > 0;
  // A checkpoint restarts the WAL from its start: what is written over it does not grow the file.
  const caveat = checkpoints ? " (checkpoints on: the WAL's growth undercounts it; SQLITE_PRAGMAS='wal_autocheckpoint=0' for the whole of it)" : '';
  console.log(`  WAL growth per commit ${(walBytes / rounds / 1024).toFixed(0)} KB${caveat}`);
}

/** The ledger as schema 3 had it, for comparison: keyed by user first. */
function keyLedgerByUser(db: Db): void {
  db.exec(`DROP TABLE ledger;
    CREATE TABLE ledger (user_id TEXT NOT NULL, key TEXT NOT NULL, client_id TEXT NOT NULL, seq INTEGER NOT NULL,
      hash TEXT NOT NULL, ack TEXT NOT NULL, stored_at INTEGER NOT NULL, PRIMARY KEY (user_id, key)) WITHOUT ROWID;
    CREATE INDEX ledger_by_client_age ON ledger (user_id, client_id, stored_at);`);
}

function walSize(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'coachdesk-server-store-'));
try {
  const file = join(dir, 'server.db');
  const db = openServerDb(file);
  applyPragmas(db);
  if (process.argv.includes('--ledger-by-user')) keyLedgerByUser(db);
  if (process.argv.includes('--age-by-install') && !process.argv.includes('--ledger-by-user')) {
    db.exec(`DROP INDEX ledger_by_age; CREATE INDEX ledger_by_client_age ON ledger (user_id, client_id, stored_at)`);
  }
  try {
    if (process.argv.includes('--statements')) statementRounds(db, file);
    else storeRounds(db);
  } finally {
    db.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
