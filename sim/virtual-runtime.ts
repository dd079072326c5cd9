// The simulation's world: virtual time and seeded randomness in place of the real ones, so that
// a seed alone decides everything that happens. Installed once, in the simulation's own process
// (never in the app): timers, Date, Math.random and node:crypto's random sources are replaced.
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { mulberry32 } from '../bench/random.ts';

interface Task {
  at: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

const realSetImmediate = globalThis.setImmediate;
const RealDate = Date;
/** Where virtual time starts (any fixed instant will do). */
export const EPOCH = RealDate.parse('2026-11-24T13:00:00.000Z');

class VirtualTimer {
  constructor(readonly id: number) {}
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  refresh(): this {
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/** Runs tasks in virtual time order (ties in the order they were made). */
export class Scheduler {
  now = EPOCH;
  private seq = 0;
  private queue: Task[] = [];
  random: () => number = mulberry32(1);
  /** Errors thrown by tasks: a simulation fails on any. */
  readonly errors: Error[] = [];

  reset(seed: number): void {
    this.now = EPOCH;
    this.seq = 0;
    this.queue = [];
    timers.clear();
    this.errors.length = 0;
    this.random = mulberry32(seed);
  }

  add(delayMs: number, run: () => void): Task {
    const task: Task = { at: this.now + Math.max(0, delayMs), seq: ++this.seq, run, cancelled: false };
    // Sorted insert from the end: most tasks go last.
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1]!.at > task.at || (this.queue[i - 1]!.at === task.at && this.queue[i - 1]!.seq > task.seq))) i--;
    this.queue.splice(i, 0, task);
    return task;
  }

  /** Milliseconds until the next task is due (Infinity when there is none). */
  get idleFor(): number {
    const next = this.queue.find((t) => !t.cancelled);
    return next ? next.at - this.now : Infinity;
  }

  /**
   * Runs tasks one at a time, letting promise callbacks settle after each, until `done()` holds
   * (true) or virtual time passes `limitMs` or nothing is left to run (false).
   */
  async runUntil(done: () => boolean, limitMs: number): Promise<boolean> {
    const end = this.now + limitMs;
    for (;;) {
      await settle();
      if (done()) return true;
      const task = this.queue.shift();
      if (!task) return false;
      if (task.cancelled) continue;
      if (task.at > end) {
        this.queue.unshift(task);
        return false;
      }
      this.now = Math.max(this.now, task.at);
      try {
        task.run();
      } catch (error) {
        this.errors.push(error as Error);
      }
    }
  }

  /** Advances virtual time by `ms`, running whatever falls due. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    await this.runUntil(() => false, ms);
    this.now = Math.max(this.now, until);
  }
}

/** Promise callbacks run before the next task: a turn of the real event loop lets them settle. */
function settle(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

export const scheduler = new Scheduler();
/** Live timers by id, each to its next task (an interval gets a new task each time). */
const timers = new Map<number, Task>();
let timerSeq = 0;

function cancel(handle: unknown): void {
  if (handle === undefined || handle === null) return;
  const id = handle instanceof VirtualTimer ? handle.id : Number(handle);
  const task = timers.get(id);
  if (task) task.cancelled = true;
  timers.delete(id);
}

function timer(delay: unknown, run: () => void, every?: number): VirtualTimer {
  const id = ++timerSeq;
  const schedule = (ms: number) => {
    timers.set(
      id,
      scheduler.add(ms, () => {
        if (every === undefined) timers.delete(id);
        else schedule(every);
        run();
      }),
    );
  };
  schedule(Number(delay) || 0);
  return new VirtualTimer(id);
}

let installed = false;

/** Replaces timers, Date, Math.random and crypto's random sources with the virtual ones. */
export function installVirtualRuntime(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as Record<string, unknown>;
  g.setTimeout = (fn: (...a: unknown[]) => void, delay?: number, ...args: unknown[]) => timer(delay, () => fn(...args));
  g.setInterval = (fn: (...a: unknown[]) => void, delay?: number, ...args: unknown[]) => timer(delay, () => fn(...args), Number(delay) || 1);
  g.setImmediate = (fn: (...a: unknown[]) => void, ...args: unknown[]) => timer(0, () => fn(...args));
  g.clearTimeout = cancel;
  g.clearInterval = cancel;
  g.clearImmediate = cancel;

  class VirtualDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(scheduler.now);
      else super(...(args as [string]));
    }
    static override now(): number {
      return scheduler.now;
    }
  }
  g.Date = VirtualDate;
  Math.random = () => scheduler.random();

  const bytes = (n: number): Buffer => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(scheduler.random() * 256);
    return out;
  };
  const c = crypto as unknown as Record<string, unknown>;
  c.randomFillSync = (buf: Buffer) => {
    bytes(buf.length).copy(buf);
    return buf;
  };
  c.randomBytes = (n: number) => bytes(n);
  c.randomUUID = () => {
    const b = bytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  syncBuiltinESMExports();
  // The engine, which also runs in browsers, takes its ids from Web Crypto.
  const web = globalThis.crypto as unknown as Record<string, unknown>;
  Object.defineProperty(web, 'randomUUID', { value: c.randomUUID, configurable: true, writable: true });
  Object.defineProperty(web, 'getRandomValues', {
    value: <T extends ArrayBufferView>(array: T): T => {
      const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      bytes(view.length).copy(view);
      return array;
    },
    configurable: true,
    writable: true,
  });
}
