// One simulated schedule: real server code and real client engines (real SQLite files in a temp
// folder) over the in-memory network, two coaches and four trainees making random edits, with
// faults chosen by the seed; then everyone comes back online and the invariants are checked.
import init from '@sqlite.org/sqlite-wasm';
import { openLocalStore } from '../main/sync/node-sqlite.ts';
import { openWasmLocalStore } from '../sync/sqlite-wasm.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../sync/local-store.ts';
import { SyncEngine } from '../sync/sync-engine.ts';
import { newId, resetIdState, type Entity, type Fields, type Op } from '../protocol/index.ts';
import { addCoach, addTraineeToken } from '../server/auth.ts';
import { openServerDb, type Db } from '../server/db.ts';
import { SyncServer } from '../server/sync-server.ts';
import { MemoryNetwork, type MemoryLink } from './memory-network.ts';
import { EPOCH, scheduler } from './virtual-runtime.ts';

export interface ScheduleResult {
  seed: number;
  ok: boolean;
  failure?: string;
  trace: string[];
  ops: number;
  faults: Record<string, number>;
}

/** Half of the trainees run the trainee app's adapter, SQLite WebAssembly, under the same engine. */
const sqlite3 = await init();
const usesWasm = (c: { role: string; name: string }) => c.role === 'trainee' && /[13579]$/.test(c.name);

interface Client {
  name: string;
  userId: string;
  role: 'coach' | 'trainee';
  token: string;
  file: string;
  clockOffset: number;
  store: LocalStore;
  engine: SyncEngine;
  online: boolean;
  /** Every op this install queued (across restarts). */
  ops: Op[];
}

interface CoachWorld {
  coach: Client;
  trainees: string[];
  exercises: string[];
  programs: Map<string, string>; // traineeId → programId
  workouts: Array<{ id: string; traineeId: string }>;
  prescriptions: string[];
  /** Training maxes the coach set, live ones only (each shows its exercise to its trainee). */
  maxes: Array<{ id: string; traineeId: string }>;
}

const FAULTS = ['cut', 'cut, late frames', 'lost answers', 'duplicate push', 'server crash after commit', 'client restart', 'offline window'] as const;

export async function runSchedule(seed: number, steps: number): Promise<ScheduleResult> {
  scheduler.reset(seed);
  resetIdState();
  const random = scheduler.random;
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const chance = (p: number) => random() < p;
  const trace: string[] = [];
  const faults: Record<string, number> = Object.fromEntries(FAULTS.map((f) => [f, 0]));
  const dir = mkdtempSync(join(tmpdir(), 'coachdesk-sim-'));
  const file = join(dir, 'server.db');
  let db: Db = openServerDb(file);
  let server = new SyncServer({ db, log: () => {} });
  const network = new MemoryNetwork(
    () => server,
    (step, link) => {
      // Each frame takes 0–20 ms; frames on one link keep their order, as on TCP.
      const due = Math.max(link?.lastDueAt ?? 0, scheduler.now + Math.floor(random() * 20));
      if (link) link.lastDueAt = due;
      scheduler.add(due - scheduler.now, step);
    },
  );
  const clients: Client[] = [];
  const userOfLink = new Map<MemoryLink, string>();
  const scopeViolations: string[] = [];
  let crashOnNextPush = false;

  network.observe = (link, from, frame) => {
    const text = frame.toString();
    if (from === 'client') {
      if (link.clientGone) faults['late frames delivered after their client saw the link die'] = (faults['late frames delivered after their client saw the link die'] ?? 0) + 1;
      if (crashOnNextPush && text.startsWith('{"type":"push"')) {
        crashOnNextPush = false;
        crashServer(`after the push on link ${link.id}`);
      }
      return;
    }
    const message = JSON.parse(text) as { type: string; userId?: string; rows?: Array<{ entity: Entity; id: string; version: number; deleted: boolean }> };
    if (message.type === 'welcome') userOfLink.set(link, message.userId!);
    if (process.env.SIM_DEBUG && userOfLink.get(link)?.endsWith(process.env.SIM_DEBUG)) {
      const m = message as { type: string; version?: number; to?: number; rows?: Array<{ version: number }>; status?: string; code?: string };
      trace.push(`  [${scheduler.now - EPOCH} ms] link ${link.id} → ${m.type} ${m.version ?? m.to ?? ''} ${m.rows ? m.rows.map((r) => r.version).join(',') : ''}${m.code ?? ''}`);
    }
    if (message.type !== 'changes') return;
    const user = userOfLink.get(link);
    for (const row of message.rows ?? []) {
      if (row.deleted || !user) continue;
      const now = server.store.audienceOf(row.entity, row.id);
      // Only a row still at the version sent can be judged by who sees it now.
      if (now && now.version === row.version && !now.users.has(user)) scopeViolations.push(`${row.entity}/${row.id} v${row.version} reached ${user}`);
    }
  };

  /** Kills the server between commit and answers: nothing it says from now on arrives; it restarts on its file. */
  function crashServer(when: string): void {
    faults['server crash after commit']!++;
    trace.push(`server killed ${when}, between commit and answers`);
    for (const link of network.open) link.dropServerFrames = true;
    // The push is committed on the server's next turn; the process dies right after.
    scheduler.add(1, () => {
      for (const link of network.open) link.cut();
      const old = server;
      const oldDb = db;
      void old.close().then(() => oldDb.close());
      db = openServerDb(file);
      server = new SyncServer({ db, log: () => {} });
      trace.push('server restarted on the same file');
    });
  }

  function open(c: Omit<Client, 'store' | 'engine' | 'online'>, online: boolean): Client {
    const clock = () => scheduler.now + c.clockOffset;
    // The wasm build keeps its files in memory: a restart reopens the same one, as a browser's OPFS would.
    const store = usesWasm(c) ? openWasmLocalStore(sqlite3, new sqlite3.oo1.DB(`/sim-${seed}-${c.name}.db`, 'c'), { clock, name: c.file }) : openLocalStore(c.file, { clock });
    const engine = new SyncEngine({ store, url: 'memory://sync', token: c.token, connect: network.connect, random, backoff: { baseMs: 50, maxMs: 2000 } });
    const client: Client = { ...c, store, engine, online };
    if (online) engine.start();
    return client;
  }

  function newClient(name: string, userId: string, role: Client['role'], token: string): Client {
    const client = open({ name, userId, role, token, file: join(dir, `${name}.db`), clockOffset: Math.round((random() * 2 - 1) * 3 * 3600_000), ops: [] }, true);
    clients.push(client);
    return client;
  }

  function enqueue(c: Client, edits: Parameters<LocalStore['enqueueAll']>[0], what: string): void {
    try {
      const ops = c.engine.enqueueAll(edits);
      c.ops.push(...ops);
      trace.push(`${c.name}: ${what}`);
    } catch (error) {
      trace.push(`${c.name}: ${what} refused locally: ${(error as Error).message}`);
    }
  }

  // Quiet: every install synced with nothing pending, nothing on the wire, and nothing due soon
  // (frames delivered but not yet applied are due at once; what is left are long timers).
  const quiet = () =>
    scheduler.idleFor >= 1000 &&
    clients.every((c) => {
      const s = c.engine.getState();
      return s.connection === 'synced' && s.pending === 0;
    }) && network.links.every((l) => l.inFlight === 0);

  async function settleAll(what: string, limitMs = 10 * 60_000): Promise<void> {
    for (const c of clients) if (!c.online) restartEngine(c, true);
    if (!(await scheduler.runUntil(quiet, limitMs))) {
      const states = clients.map((c) => `${c.name} ${c.engine.getState().connection} pending ${c.engine.getState().pending} ${JSON.stringify(c.engine.getState().error)}`);
      throw new Error(`${what}: not quiet after ${limitMs / 1000} s of virtual time (${states.join('; ')})`);
    }
  }

  function maxFields(traineeId: string, exerciseId: string): Fields {
    return { traineeId, exerciseId, kind: pick(['1rm', 'tm']), value: 20 + Math.round(random() * 200), unit: 'kg', date: '2026-11-20', source: 'entered' };
  }

  /** A coach sets, changes, moves or deletes a max: each may bring an exercise to a trainee or take it away. */
  function editMax(w: CoachWorld): void {
    const c = w.coach;
    const max = w.maxes.length && chance(0.6) ? pick(w.maxes) : undefined;
    if (!max) {
      const traineeId = pick(w.trainees);
      const id = newId();
      w.maxes.push({ id, traineeId });
      enqueue(c, [{ entity: 'max', id, action: 'put', fields: maxFields(traineeId, pick(w.exercises)) }], 'sets a max');
    } else if (chance(0.3)) {
      w.maxes.splice(w.maxes.indexOf(max), 1);
      enqueue(c, [{ entity: 'max', id: max.id, action: 'delete' }], 'deletes a max');
    } else if (chance(0.5)) {
      max.traineeId = pick(w.trainees);
      enqueue(c, [{ entity: 'max', id: max.id, action: 'patch', fields: { traineeId: max.traineeId, exerciseId: pick(w.exercises) } }], 'moves a max');
    } else enqueue(c, [{ entity: 'max', id: max.id, action: 'patch', fields: { value: 20 + Math.round(random() * 200) } }], 'changes a max');
  }

  function restartEngine(c: Client, online: boolean): void {
    c.online = online;
    if (online) c.engine.start();
  }

  try {
    // Setup without faults: two coaches, each with two trainees on a program.
    const worlds: CoachWorld[] = [];
    for (const name of ['ana', 'bo']) {
      const issued = addCoach(db, name);
      const coach = newClient(name, issued.userId, 'coach', issued.token);
      const w: CoachWorld = { coach, trainees: [], exercises: [], programs: new Map(), workouts: [], prescriptions: [], maxes: [] };
      const edits: Parameters<LocalStore['enqueueAll']>[0] = [];
      for (let i = 0; i < 3; i++) {
        const id = newId();
        w.exercises.push(id);
        edits.push({ entity: 'exercise', id, action: 'put', fields: { coachId: coach.userId, name: `Exercise ${i}` } });
      }
      for (let t = 0; t < 2; t++) {
        const traineeId = newId();
        const programId = newId();
        const workoutId = newId();
        w.trainees.push(traineeId);
        w.programs.set(traineeId, programId);
        w.workouts.push({ id: workoutId, traineeId });
        edits.push(
          { entity: 'trainee', id: traineeId, action: 'put', fields: { coachId: coach.userId, name: `${name}'s trainee ${t}` } },
          { entity: 'program', id: programId, action: 'put', fields: { coachId: coach.userId, traineeId, name: 'Block', weeks: 4 } },
          { entity: 'workout', id: workoutId, action: 'put', fields: { programId, week: 1, day: 1, title: 'Day 1' } },
        );
        for (let p = 0; p < 2; p++) {
          const id = newId();
          w.prescriptions.push(id);
          edits.push({ entity: 'prescription', id, action: 'put', fields: { workoutId, exerciseId: w.exercises[p]!, position: p + 1, sets: 3, reps: '5', load: 100, loadUnit: 'kg' } });
        }
      }
      enqueue(coach, edits, 'sets up trainees, exercises, programs');
      worlds.push(w);
    }
    await settleAll('setup');
    const traineeClients = worlds.flatMap((w) => w.trainees.map((t, i) => newClient(`${w.coach.name}-t${i}`, t, 'trainee', addTraineeToken(db, t).token)));
    await settleAll('trainees catching up');

    const sessionsOf = new Map<string, Array<{ id: string; sets: string[] }>>();
    for (let step = 0; step < steps; step++) {
      const r = random();
      const w = pick(worlds);
      if (r < 0.3) {
        // A coach edits the program.
        const c = w.coach;
        const kind = pick(['patch', 'add', 'delete', 'exercise', 'settings', 'note on a set', 'max']);
        if (kind === 'patch' && w.prescriptions.length) enqueue(c, [{ entity: 'prescription', id: pick(w.prescriptions), action: 'patch', fields: pick([{ sets: 1 + Math.floor(random() * 8) }, { load: Math.round(random() * 200) }, { reps: pick(['3', '5', '8-10']) }]) }], 'patches a prescription');
        else if (kind === 'add') {
          const id = newId();
          w.prescriptions.push(id);
          enqueue(c, [{ entity: 'prescription', id, action: 'put', fields: { workoutId: pick(w.workouts).id, exerciseId: pick(w.exercises), position: 10 + step, sets: 3, reps: '5' } }], 'adds a prescription');
        } else if (kind === 'delete' && w.prescriptions.length > 1) {
          const id = w.prescriptions.splice(Math.floor(random() * w.prescriptions.length), 1)[0]!;
          enqueue(c, [{ entity: 'prescription', id, action: 'delete' }], 'deletes a prescription');
        } else if (kind === 'exercise') enqueue(c, [{ entity: 'exercise', id: pick(w.exercises), action: 'patch', fields: { name: `Renamed ${step}` } }], 'renames an exercise');
        else if (kind === 'settings') enqueue(c, [{ entity: 'settings', id: c.userId, action: 'put', fields: { units: pick(['kg', 'lb']) } }], 'changes settings');
        else if (kind === 'max') editMax(w);
        else {
          // A stale "fix" of a set the trainee logged (the trainee's values must win).
          const sessions = w.trainees.flatMap((t) => sessionsOf.get(t) ?? []);
          const s = sessions.length ? pick(sessions) : undefined;
          if (s?.sets.length) enqueue(c, [{ entity: 'set_log', id: pick(s.sets), action: 'patch', fields: chance(0.5) ? { reps: 1 + Math.floor(random() * 10) } : { note: `coach ${step}` } }], 'fixes a logged set');
        }
      } else if (r < 0.6) {
        // A trainee logs.
        const t = pick(w.trainees);
        const c = traineeClients.find((x) => x.userId === t)!;
        const sessions = sessionsOf.get(t) ?? [];
        sessionsOf.set(t, sessions);
        const workout = w.workouts.find((x) => x.traineeId === t)!;
        if (!sessions.length || chance(0.2)) {
          const id = newId();
          sessions.push({ id, sets: [] });
          enqueue(c, [{ entity: 'session', id, action: 'put', fields: { traineeId: t, workoutId: workout.id, date: '2026-11-24', status: 'in_progress' } }], 'starts a session');
        } else {
          const s = pick(sessions);
          if (!s.sets.length || chance(0.6)) {
            const id = newId();
            s.sets.push(id);
            enqueue(c, [{ entity: 'set_log', id, action: 'put', fields: { sessionId: s.id, exerciseId: pick(w.exercises), setIndex: s.sets.length - 1, reps: 1 + Math.floor(random() * 10), load: Math.round(random() * 150), done: true } }], 'logs a set');
          } else enqueue(c, [{ entity: 'set_log', id: pick(s.sets), action: 'patch', fields: { reps: 1 + Math.floor(random() * 10), load: Math.round(random() * 150) } }], 'corrects a set');
        }
      } else if (r < 0.65) {
        // Something the server must refuse: a trainee writing an exercise, or their own max.
        const c = pick(traineeClients);
        if (chance(0.5)) enqueue(c, [{ entity: 'exercise', id: newId(), action: 'put', fields: { coachId: w.coach.userId, name: 'Not mine to add' } }], 'tries to add an exercise (refused)');
        else enqueue(c, [{ entity: 'max', id: newId(), action: 'put', fields: maxFields(c.userId, pick(w.exercises)) }], 'tries to set their own max (refused)');
      } else {
        const fault = pick([...FAULTS]);
        const link = network.open.length ? pick(network.open) : undefined;
        const c = pick(clients);
        if (fault === 'cut' && link) {
          link.cut();
          trace.push(`fault: link ${link.id} cut`);
        } else if (fault === 'cut, late frames' && link) {
          // Frames in flight are held back 100–500 ms: the server gets them after the client reconnected.
          link.cutLateAfterNextPush = 100 + Math.floor(random() * 400);
          trace.push(`fault: link ${link.id} is cut after its next push, which reaches the server late`);
        } else if (fault === 'lost answers' && link) {
          link.dropServerFrames = true;
          scheduler.add(Math.floor(random() * 50), () => link.cut());
          trace.push(`fault: link ${link.id} loses the server's answers, then is cut`);
        } else if (fault === 'duplicate push' && link) {
          link.duplicateNextPush = true;
          trace.push(`fault: link ${link.id} delivers its next push twice`);
        } else if (fault === 'server crash after commit') {
          crashOnNextPush = true;
          trace.push('fault: the server will die after its next push is committed');
          continue;
        } else if (fault === 'client restart') {
          const online = chance(0.7);
          await drive(c.engine.stop());
          c.store.close();
          const again = open(c, online);
          Object.assign(c, { store: again.store, engine: again.engine, online });
          trace.push(`fault: ${c.name} restarts with ${c.store.pendingCount} edits unsent${online ? '' : ', offline'}`);
        } else if (fault === 'offline window') {
          if (c.online) {
            await drive(c.engine.stop());
            c.online = false;
            trace.push(`${c.name} goes offline`);
          } else {
            restartEngine(c, true);
            trace.push(`${c.name} comes back online`);
          }
        } else continue;
        faults[fault]!++;
      }
      await scheduler.advance(Math.floor(random() * 300));
    }
    crashOnNextPush = false;
    trace.push('everyone back online; no more faults');
    await settleAll('after the schedule');
    let failure = checkInvariants(server, db, clients, scopeViolations);
    if (failure && process.env.SIM_DEBUG) {
      const peersOf = (server as unknown as { byUser: Map<string, Set<unknown>> }).byUser;
      failure += `\n  links: ${network.links.map((l) => `${l.id}:${userOfLink.get(l)?.slice(-4) ?? '?'}:${l.closed ? 'closed' : 'open'}`).join(' ')}`;
      failure += `\n  server peers by user: ${[...peersOf.entries()].map(([u, set]) => `${u.slice(-4)}×${set.size}`).join(' ')}`;
      failure += `\n  clients: ${clients.map((c) => `${c.name}=${c.userId.slice(-4)}`).join(' ')}`;
    }
    if (scheduler.errors.length) return done({ failure: `a task threw: ${scheduler.errors[0]!.stack}` });
    return done(failure ? { failure } : {});
  } catch (error) {
    return done({ failure: (error as Error).message });
  }

  async function cleanUp() {
    for (const c of clients) {
      await drive(c.engine.stop());
      c.store.close();
    }
    await drive(server.close());
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }

  async function done(extra: { failure?: string }): Promise<ScheduleResult> {
    await cleanUp().catch(() => {});
    const ops = clients.reduce((n, c) => n + c.ops.length, 0);
    return { seed, ok: !extra.failure, ...extra, trace, ops, faults };
  }
}

/** Waits for a promise whose work runs on the virtual scheduler (a close, say), running it. */
async function drive<T>(promise: Promise<T>): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  if (!(await scheduler.runUntil(() => settled, 60_000))) throw new Error('a step never finished in virtual time');
  return watched;
}

interface LedgerEntry {
  key: string;
  client_id: string;
  seq: number;
  ack: string;
}

/** The invariants of a quiet system; the first one broken, in words, or undefined. */
function checkInvariants(server: SyncServer, db: Db, clients: Client[], scopeViolations: string[]): string | undefined {
  if (scopeViolations.length) return `rows outside a user's scope reached them: ${scopeViolations.slice(0, 3).join('; ')}`;
  for (const c of clients) {
    // 1. The replica equals the server's rows in this user's scope.
    const scope = server.store.catchUp({ id: c.userId, role: c.role }, 0).rows.filter((r) => !r.deleted);
    const replica = c.store.db.prepare(`SELECT entity, id, version, fields FROM replica WHERE deleted = 0`).all() as Array<{ entity: string; id: string; version: number; fields: string }>;
    const mine = new Map(replica.map((r) => [`${r.entity}/${r.id}`, r]));
    if (mine.size !== scope.length) {
      const inScope = new Set(scope.map((r) => `${r.entity}/${r.id}`));
      const missing = scope.filter((r) => !mine.has(`${r.entity}/${r.id}`)).map((r) => `${r.entity}/${r.id} v${r.version}`);
      const extra = [...mine.keys()].filter((k) => !inScope.has(k));
      return `${c.name}: the replica holds ${mine.size} live rows, the server's scope ${scope.length} (missing: ${missing.join(', ') || 'none'}; not in scope: ${extra.join(', ') || 'none'}; cursor ${c.store.lastVersion}, server ${server.store.currentVersion})`;
    }
    for (const row of scope) {
      const local = mine.get(`${row.entity}/${row.id}`);
      if (!local) return `${c.name}: ${row.entity}/${row.id} is missing from the replica`;
      if (local.version !== row.version || JSON.stringify(JSON.parse(local.fields)) !== JSON.stringify(row.fields)) return `${c.name}: ${row.entity}/${row.id} differs (v${local.version} vs v${row.version})`;
    }
    // 2. Every op acked exactly once: nothing pending, each key in the ledger once, no stranger's key.
    if (c.store.pendingCount !== 0) return `${c.name}: ${c.store.pendingCount} edits still pending`;
    const ledger = db.prepare(`SELECT key, client_id, seq, ack FROM ledger WHERE user_id = ? AND client_id = ?`).all(c.userId, c.store.clientId) as LedgerEntry[];
    const byKey = new Map(ledger.map((l) => [l.key, l]));
    for (const op of c.ops) if (!byKey.has(op.key)) return `${c.name}: op ${op.key} (${op.entity} ${op.action}) never reached the ledger`;
    if (ledger.length !== c.ops.length) return `${c.name}: the ledger holds ${ledger.length} ops of this install, it made ${c.ops.length}`;
    // 4. Every rejected op is in the failed list, and only those.
    const rejected = new Set(ledger.filter((l) => (JSON.parse(l.ack) as { status: string }).status === 'rejected').map((l) => l.key));
    const failed = new Set(c.store.failedOps().map((f) => f.op.key));
    if (rejected.size !== failed.size || [...rejected].some((k) => !failed.has(k))) return `${c.name}: ${rejected.size} ops rejected, ${failed.size} in the failed list`;
  }
  // 3. Every set a trainee logged holds the trainee's last values.
  for (const c of clients.filter((x) => x.role === 'trainee')) {
    const last = new Map<string, Fields>();
    for (const op of c.ops) {
      if (op.entity !== 'set_log') continue;
      const entry = db.prepare(`SELECT ack FROM ledger WHERE user_id = ? AND key = ?`).get(c.userId, op.key) as { ack: string } | undefined;
      const ack = entry && (JSON.parse(entry.ack) as { status: string; dropped?: string[] });
      if (!ack || (ack.status !== 'applied' && ack.status !== 'partial')) continue;
      const kept = Object.fromEntries(Object.entries(op.fields).filter(([f]) => !(ack.dropped ?? []).includes(f)));
      last.set(op.id, { ...(last.get(op.id) ?? {}), ...kept });
    }
    for (const [id, values] of last) {
      const row = db.prepare(`SELECT deleted, fields FROM canonical_rows WHERE entity = 'set_log' AND id = ?`).get(id) as { deleted: number; fields: string } | undefined;
      if (!row || row.deleted) return `${c.name}: logged set ${id} is gone`;
      const fields = JSON.parse(row.fields) as Fields;
      for (const [f, v] of Object.entries(values)) if (JSON.stringify(fields[f]) !== JSON.stringify(v)) return `${c.name}: logged set ${id}: ${f} is ${JSON.stringify(fields[f])}, the trainee wrote ${JSON.stringify(v)}`;
    }
  }
  return undefined;
}
