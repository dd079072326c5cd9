import { EventEmitter } from 'node:events';
import type { EngineSocket } from '../sync/sync-engine.ts';
import type { ServerSocket, SyncServer } from '../server/sync-server.ts';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Runs a step later: setImmediate by default; a simulation passes its own scheduler. */
export type Schedule = (step: () => void, link?: MemoryLink) => void;

/**
 * One end of an in-memory connection. Frames and closes reach the other end through the
 * network's scheduler, in order, so a simulation decides when (and whether) each one arrives.
 */
class MemoryEnd extends EventEmitter {
  readyState = CONNECTING;
  readonly OPEN = OPEN;
  bufferedAmount = 0;
  peer!: MemoryEnd;

  constructor(
    private readonly link: MemoryLink,
    readonly side: 'client' | 'server',
  ) {
    super();
  }

  send(data: string | Buffer, optionsOrDone?: { binary: boolean } | ((error?: Error) => void), done?: (error?: Error) => void): void {
    const callback = typeof optionsOrDone === 'function' ? optionsOrDone : done;
    if (this.readyState !== OPEN) {
      callback?.(new Error('not open'));
      return;
    }
    const frame = Buffer.from(data);
    this.bufferedAmount += frame.length;
    this.link.carry(this, frame, () => {
      this.bufferedAmount -= frame.length;
      callback?.();
    });
  }

  /** The other end answers a ping by itself, as `ws` does. */
  ping(): void {
    if (this.readyState !== OPEN) return;
    this.link.later(() => {
      if (this.peer.readyState !== OPEN) return;
      this.peer.emit('ping');
      this.emit('pong');
    });
  }

  close(code = 1000, reason = ''): void {
    this.link.shut(code, reason);
  }

  terminate(): void {
    this.link.shut(1006, '');
  }
}

/** A connection between a client end and a server end; `cut` drops it like a broken network. */
export class MemoryLink {
  readonly client: MemoryEnd;
  readonly server: MemoryEnd;
  /** Frames still travelling; a cut loses them. */
  inFlight = 0;
  /** When the last frame on this link is due: a simulation delays frames without reordering them. */
  lastDueAt = 0;
  /** Set by a fault: the next push from the client reaches the server twice. */
  duplicateNextPush = false;
  /** The client saw the connection die, while what it sent is still on its way to the server. */
  clientGone = false;
  /** Frames from the client are not delivered before this time (a fault holds them back). */
  holdClientFramesUntil = 0;
  /** Set by a fault: right after the client sends its next push, cutLate(ms). */
  cutLateAfterNextPush: number | undefined;
  closed = false;
  /** Set by a fault: frames the server sends from now on are lost (then the link is cut). */
  dropServerFrames = false;

  constructor(
    readonly network: MemoryNetwork,
    readonly id: number,
  ) {
    this.client = new MemoryEnd(this, 'client');
    this.server = new MemoryEnd(this, 'server');
    this.client.peer = this.server;
    this.server.peer = this.client;
  }

  later(step: () => void): void {
    this.network.schedule(step, this);
  }

  open(): void {
    if (this.closed) return;
    this.client.readyState = OPEN;
    this.server.readyState = OPEN;
    this.network.server().acceptConnection(this.server as unknown as ServerSocket);
    this.later(() => !this.closed && this.client.emit('open'));
  }

  carry(from: MemoryEnd, frame: Buffer, written: () => void): void {
    this.inFlight++;
    const lost = from.side === 'server' && this.dropServerFrames;
    const deliver = () => {
      if (from.side === 'client' && Date.now() < this.holdClientFramesUntil) {
        // Held back by a fault: it arrives later, still in order.
        this.lastDueAt = Math.max(this.lastDueAt, this.holdClientFramesUntil);
        return this.later(deliver);
      }
      this.inFlight--;
      written();
      if (this.closed || lost || (from.side === 'server' && this.clientGone)) return;
      this.network.observe?.(this, from.side, frame);
      if (from.side === 'server') return void from.peer.emit('message', frame);
      from.peer.emit('message', frame, false);
      if (this.duplicateNextPush && frame.toString('latin1', 0, 14) === '{"type":"push"') {
        this.duplicateNextPush = false;
        from.peer.emit('message', frame, false);
      }
    };
    this.later(deliver);
    if (from.side === 'client' && this.cutLateAfterNextPush !== undefined && frame.toString('latin1', 0, 14) === '{"type":"push"') {
      const hold = this.cutLateAfterNextPush;
      this.cutLateAfterNextPush = undefined;
      this.cutLate(hold);
    }
  }

  /** Both ends close; frames not yet delivered are lost (with code 1006, as a cut network). */
  shut(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const end of [this.client, this.server]) end.readyState = CLOSING;
    this.later(() => {
      for (const end of [this.client, this.server]) {
        if (end.readyState === CLOSED) continue;
        end.readyState = CLOSED;
        end.emit('close', code, Buffer.from(reason));
      }
    });
  }

  cut(): void {
    this.shut(1006, '');
  }

  /**
   * The client's side dies now, but frames it already sent still reach the server, later: they
   * arrive after the client has reconnected on a new link (reordered across reconnects). The
   * server's side closes `afterMs` later.
   */
  cutLate(afterMs: number): void {
    if (this.closed || this.clientGone) return;
    this.clientGone = true;
    this.holdClientFramesUntil = Date.now() + afterMs - 10;
    this.client.readyState = CLOSING;
    setTimeout(() => {
      this.client.readyState = CLOSED;
      this.client.emit('close', 1006, Buffer.from(''));
    }, 0);
    setTimeout(() => this.cut(), afterMs);
  }
}

/**
 * Connections between sync engines and a SyncServer with no sockets at all: what a
 * deterministic simulation needs (its scheduler decides every delivery), and a fast way to run
 * real engines against a real server in tests.
 */
export class MemoryNetwork {
  readonly links: MemoryLink[] = [];
  private nextId = 1;
  /** Sees every frame as it is delivered (for traces and scope checks). */
  observe?: (link: MemoryLink, from: 'client' | 'server', frame: Buffer) => void;

  constructor(
    readonly server: () => SyncServer,
    readonly schedule: Schedule = (step) => setImmediate(step),
  ) {}

  /** An engine's `connect` option: every call opens a new link to the server. */
  readonly connect = (_url: string): EngineSocket => {
    const link = new MemoryLink(this, this.nextId++);
    this.links.push(link);
    this.schedule(() => link.open());
    return link.client as unknown as EngineSocket;
  };

  get open(): MemoryLink[] {
    return this.links.filter((l) => !l.closed);
  }

  cutAll(): void {
    for (const link of this.open) link.cut();
  }
}
