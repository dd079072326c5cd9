// Helpers for the server tests only (test/helpers.ts holds what the other suites share too).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Action, Entity, Fields, Op, Row } from '../../protocol/index.ts';
import { addCoach, addTraineeToken, authenticate, type User } from '../../server/auth.ts';
import { CanonicalStore, type PushOutcome } from '../../server/canonical-store.ts';
import { openServerDb, readServerVersion, type Db } from '../../server/db.ts';
import type { ServerSocket } from '../../server/sync-server.ts';
import { until, type TestStore } from '../helpers.ts';

export const uuid = () => randomUUID();

/** An op as a client sends it (a plain record, as the store receives it). */
export type RawOp = Record<string, unknown> & Op;

export function makeOp(o: {
  seq: number;
  entity: Entity;
  id: string;
  action: Action;
  fields?: Fields;
  baseVersion?: number;
  key?: string;
  at?: string;
}): RawOp {
  return {
    key: o.key ?? uuid(),
    seq: o.seq,
    at: o.at ?? new Date().toISOString(),
    entity: o.entity,
    id: o.id,
    action: o.action,
    fields: o.fields ?? {},
    baseVersion: o.baseVersion ?? 0,
  };
}

/** One install of one user: hands out contiguous seqs. */
abstract class Install {
  seq = 1;
  constructor(
    readonly user: User,
    readonly clientId: string,
  ) {}

  op(entity: Entity, id: string, action: Action, fields: Fields = {}, baseVersion = 0, extra: { key?: string; at?: string } = {}): RawOp {
    return makeOp({ seq: this.seq++, entity, id, action, fields, baseVersion, ...extra });
  }
}

function checkApplied(ops: RawOp[], out: PushOutcome): PushOutcome {
  const bad = out.acks.filter((a) => a.status !== 'applied');
  if (bad.length || out.acks.length !== ops.length || out.expectedSeq !== undefined) {
    throw new Error(`fixture push failed: ${JSON.stringify(out.acks)} expectedSeq=${out.expectedSeq}`);
  }
  return out;
}

/** An install pushing straight into a SQLite CanonicalStore. */
export class StoreClient extends Install {
  constructor(
    public store: CanonicalStore,
    user: User,
    clientId: string = `client-${uuid().slice(0, 8)}`,
  ) {
    super(user, clientId);
  }

  push(ops: RawOp[], receivedAt = Date.now()): PushOutcome {
    return this.store.push(this.user, this.clientId, ops, receivedAt);
  }

  /** Pushes and insists every op was applied (for building fixtures). */
  pushApplied(ops: RawOp[], receivedAt = Date.now()): PushOutcome {
    return checkApplied(ops, this.push(ops, receivedAt));
  }
}

/** An install pushing straight into a test server's store, SQLite or PostgreSQL (outside any connection). */
export class ServedClient extends Install {
  constructor(
    readonly ts: TestStore,
    user: User,
    clientId: string = `client-${uuid().slice(0, 8)}`,
  ) {
    super(user, clientId);
  }

  push(ops: RawOp[], receivedAt = Date.now()): Promise<PushOutcome> {
    return this.ts.push(this.user, this.clientId, ops, receivedAt);
  }

  /** Pushes and insists every op was applied (for building fixtures). */
  async pushApplied(ops: RawOp[], receivedAt = Date.now()): Promise<PushOutcome> {
    return checkApplied(ops, await this.push(ops, receivedAt));
  }
}

export interface CoachWorld {
  coach: User;
  coachToken: string;
  desk: StoreClient;
  trainee1: string;
  trainee2: string;
  exercise: string;
  unusedExercise: string;
  program: string;
  workout: string;
  prescription: string;
  template: string;
}

type WorldIds = Omit<CoachWorld, 'coach' | 'coachToken' | 'desk'>;

function newWorldIds(): WorldIds {
  return {
    trainee1: uuid(),
    trainee2: uuid(),
    exercise: uuid(),
    unusedExercise: uuid(),
    program: uuid(),
    workout: uuid(),
    prescription: uuid(),
    template: uuid(),
  };
}

/** The eight rows of a seeded coach, versions 1..8 after whatever came before. */
function seedOps(desk: Install, coach: User, name: string, w: WorldIds): RawOp[] {
  return [
    desk.op('trainee', w.trainee1, 'put', { coachId: coach.id, name: `${name}'s first trainee` }),
    desk.op('trainee', w.trainee2, 'put', { coachId: coach.id, name: `${name}'s second trainee` }),
    desk.op('exercise', w.exercise, 'put', { coachId: coach.id, name: 'Back squat' }),
    desk.op('exercise', w.unusedExercise, 'put', { coachId: coach.id, name: 'Deadlift' }),
    desk.op('program', w.program, 'put', { coachId: coach.id, traineeId: w.trainee1, name: 'Block 1', weeks: 4 }),
    desk.op('workout', w.workout, 'put', { programId: w.program, week: 1, day: 1, title: 'Squat day' }),
    desk.op('prescription', w.prescription, 'put', {
      workoutId: w.workout,
      exerciseId: w.exercise,
      position: 1,
      sets: 5,
      reps: '5',
      load: 100,
      loadUnit: 'kg',
    }),
    desk.op('program', w.template, 'put', { coachId: coach.id, traineeId: null, name: 'Template', weeks: 8 }),
  ];
}

/**
 * A coach with two trainees, two exercises, a program assigned to trainee1 with one workout and
 * one prescription (using `exercise`), and a template program (no trainee).
 */
export function seedCoach(db: Db, store: CanonicalStore, name = 'Ana'): CoachWorld {
  const issued = addCoach(db, name);
  const coach = authenticate(db, issued.token)!;
  const desk = new StoreClient(store, coach, `desk-${name}`);
  const w = newWorldIds();
  desk.pushApplied(seedOps(desk, coach, name, w));
  return { coach, coachToken: issued.token, desk, ...w };
}

export interface ServedWorld extends Omit<CoachWorld, 'desk'> {
  desk: ServedClient;
}

/** seedCoach on a test server's store, SQLite or PostgreSQL. */
export async function coachWorld(ts: TestStore, name = 'Ana'): Promise<ServedWorld> {
  const issued = await ts.newCoach(name);
  const coach = (await ts.authenticate(issued.token))!;
  const desk = new ServedClient(ts, coach, `desk-${name}`);
  const w = newWorldIds();
  await desk.pushApplied(seedOps(desk, coach, name, w));
  return { coach, coachToken: issued.token, desk, ...w };
}

/** traineeUser on a test server's store, SQLite or PostgreSQL. */
export async function traineeOf(ts: TestStore, traineeId: string): Promise<{ user: User; token: string }> {
  const issued = await ts.newTraineeToken(traineeId);
  return { user: (await ts.authenticate(issued.token))!, token: issued.token };
}

export function traineeUser(db: Db, traineeId: string): { user: User; token: string } {
  const issued = addTraineeToken(db, traineeId);
  return { user: authenticate(db, issued.token)!, token: issued.token };
}

export function openStore(dir: string, name = 'server.db'): { db: Db; store: CanonicalStore; file: string } {
  const file = join(dir, name);
  const db = openServerDb(file);
  return { db, store: new CanonicalStore(db), file };
}

export function counts(db: Db) {
  return {
    rows: db.prepare(`SELECT COUNT(*) FROM canonical_rows`).pluck().get() as number,
    ledger: db.prepare(`SELECT COUNT(*) FROM ledger`).pluck().get() as number,
    version: readServerVersion(db),
    maxRowVersion: (db.prepare(`SELECT MAX(version) FROM canonical_rows`).pluck().get() as number | null) ?? 0,
  };
}

export function storedRow(db: Db, entity: Entity, id: string): { version: number; deleted: boolean; fields: Fields } | undefined {
  const r = db.prepare(`SELECT version, deleted, fields FROM canonical_rows WHERE entity = ? AND id = ?`).get(entity, id) as
    | { version: number; deleted: number; fields: string }
    | undefined;
  return r && { version: r.version, deleted: r.deleted === 1, fields: JSON.parse(r.fields) as Fields };
}

export function rowOf(rows: Row[] | undefined, entity: Entity, id: string): Row | undefined {
  return (rows ?? []).find((r) => r.entity === entity && r.id === id);
}

// ---------------------------------------------------------------------------------------------
// WebSocket peer for the ws tests.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any> & { type: string };

/**
 * A connection handed to the server by hand (SyncServer.acceptConnection): its frames arrive in
 * the turn the test chooses, and its unsent bytes are what the test sets.
 */
export class HandSocket extends EventEmitter implements ServerSocket {
  readyState = 1;
  readonly OPEN = 1;
  bufferedAmount = 0;
  /** The code the server closed it with. */
  closedWith: number | undefined;
  /** Frames received, then `{type: 'close', code}` when the server closed it. */
  readonly frames: Msg[] = [];
  send(data: string | Buffer, _options: { binary: boolean }, done?: (error?: Error) => void): void {
    this.frames.push(JSON.parse(data.toString()) as Msg);
    if (done) setImmediate(done);
  }
  close(code = 1000): void {
    this.end(code);
  }
  terminate(): void {
    this.end(1006);
  }
  ping(): void {}
  frame(message: unknown): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }
  /** Says hello as a client would; resolves once its catch-up is over. */
  async hello(token: string): Promise<void> {
    this.frame({ type: 'hello', protocol: 1, token, clientId: `hand-${uuid().slice(0, 8)}`, lastVersion: 0 });
    await until('the catch-up to end', () => this.frames.some((m) => m.type === 'synced'));
  }
  private end(code: number): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closedWith = code;
    this.frames.push({ type: 'close', code });
    setImmediate(() => this.emit('close', code));
  }
}

export class WsPeer {
  readonly messages: Msg[] = [];
  closed: { code: number; reason: string } | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      try {
        this.messages.push(JSON.parse(data.toString()) as Msg);
      } catch {
        this.messages.push({ type: '<unparseable>', raw: data.toString() });
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => {
      /* close follows; tests look at the close code */
    });
  }

  static async connect(url: string, timeoutMs = 2000): Promise<WsPeer> {
    const ws = new WebSocket(url, { maxPayload: 8 * 1024 * 1024 });
    const peer = new WsPeer(ws);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`could not connect to ${url} within ${timeoutMs} ms`)), timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return peer;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Waits for the first message at index >= from matching pred; returns its index. */
  async waitFor(what: string, pred: (m: Msg) => boolean, from = 0, timeoutMs = 3000): Promise<number> {
    let found = -1;
    await until(
      what,
      () => {
        for (let i = from; i < this.messages.length; i++) {
          if (pred(this.messages[i]!)) {
            found = i;
            return true;
          }
        }
        return false;
      },
      timeoutMs,
    );
    return found;
  }

  async waitClose(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    await until('the connection to close', () => this.closed !== undefined, timeoutMs);
    return this.closed!;
  }

  /** Sends hello and waits for catch-up to finish (`synced`); returns the welcome. */
  async hello(token: string, clientId = `ws-${uuid().slice(0, 8)}`, lastVersion = 0): Promise<Msg> {
    const from = this.messages.length;
    this.send({ type: 'hello', protocol: 1, token, clientId, lastVersion });
    const w = await this.waitFor('welcome', (m) => m.type === 'welcome' || m.type === 'error', from);
    const welcome = this.messages[w]!;
    if (welcome.type !== 'welcome') throw new Error(`hello refused: ${JSON.stringify(welcome)}`);
    await this.waitFor('synced after catch-up', (m) => m.type === 'synced', w);
    return welcome;
  }

  /** Messages received since index `from`. */
  since(from: number): Msg[] {
    return this.messages.slice(from);
  }

  /**
   * A barrier: asks for an empty catch-up and waits for its `synced`. Every frame the server
   * queued for this peer before handling the pull has arrived by then.
   */
  async barrier(since: number): Promise<void> {
    const from = this.messages.length;
    this.send({ type: 'pull', since });
    await this.waitFor('synced after pull', (m) => m.type === 'synced', from);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}
