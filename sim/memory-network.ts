import { EventEmitter } from 'node:events';
import type { EngineSocket } from '../main/sync/sync-engine.ts';
import type { ServerSocket, SyncServer } from '../server/sync-server.ts';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Runs a step later: setImmediate by default; a simulation passes its own scheduler. */
export type Schedule = (step: () => void) => void;

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
  private inFlight = 0;
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
    this.network.schedule(step);
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
    this.later(() => {
      this.inFlight--;
      written();
      if (this.closed || lost) return;
      this.network.observe?.(this, from.side, frame);
      if (from.side === 'client') from.peer.emit('message', frame, false);
      else from.peer.emit('message', frame);
    });
  }

  /** Both ends close; frames not yet delivered are lost (with code 1006, as a cut network). */
  shut(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const end of [this.client, this.server]) end.readyState = CLOSING;
    this.later(() => {
      for (const end of [this.client, this.server]) {
        end.readyState = CLOSED;
        end.emit('close', code, Buffer.from(reason));
      }
    });
  }

  cut(): void {
    this.shut(1006, '');
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
