/**
 * Runs the jobs of several peers in turns: one job of each peer with work, then a yield to the
 * event loop (so sockets are read), then the next turn. A peer that floods gets one turn like
 * any other, and is paused once it has `highWater` jobs waiting, until it is down to half.
 */
export class FairQueue<P> {
  private readonly lanes = new Map<P, Array<() => void>>();
  private readonly paused = new Set<P>();
  private scheduled = false;

  constructor(private readonly opts: { highWater: number; pause(peer: P): void; resume(peer: P): void }) {}

  push(peer: P, job: () => void): void {
    let lane = this.lanes.get(peer);
    if (!lane) this.lanes.set(peer, (lane = []));
    lane.push(job);
    if (lane.length >= this.opts.highWater && !this.paused.has(peer)) {
      this.paused.add(peer);
      this.opts.pause(peer);
    }
    this.schedule();
  }

  /** Forgets a peer that left, with whatever it still had waiting. */
  drop(peer: P): void {
    this.lanes.delete(peer);
    this.paused.delete(peer);
  }

  waiting(peer: P): number {
    return this.lanes.get(peer)?.length ?? 0;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    for (const [peer, lane] of [...this.lanes]) {
      const job = lane.shift();
      if (lane.length === 0) this.lanes.delete(peer);
      if (this.paused.has(peer) && lane.length <= this.opts.highWater / 2) {
        this.paused.delete(peer);
        this.opts.resume(peer);
      }
      job?.();
    }
    if (this.lanes.size) this.schedule();
  }
}
