// A bounded rate limiter by key (a remote address): at most `max` hits in any `windowMs`.

export interface RateLimiterOptions {
  max: number;
  windowMs: number;
  /** Keys remembered at most; past it, expired keys go first, then the longest-remembered. */
  maxKeys: number;
  now?: () => number;
}

export type RateCheck = { ok: true } | { ok: false; retryAfterSec: number };

export class RateLimiter {
  /** Hit times per key, oldest first (at most `max` each). Map order: first remembered first. */
  private readonly hits = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly opts: RateLimiterOptions) {
    if (!(opts.max >= 1 && opts.windowMs > 0 && opts.maxKeys >= 1)) throw new Error('a rate limit needs max >= 1, windowMs > 0, maxKeys >= 1');
    this.now = opts.now ?? Date.now;
  }

  /** Keys remembered now (for tests: the table stays bounded). */
  get size(): number {
    return this.hits.size;
  }

  /** Whether the key may try now; when not, how many seconds until it may. */
  check(key: string): RateCheck {
    const times = this.live(key);
    if (!times || times.length < this.opts.max) return { ok: true };
    const waitMs = times[0]! + this.opts.windowMs - this.now();
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** Counts one attempt of the key. */
  hit(key: string): void {
    let times = this.live(key);
    if (!times) {
      if (this.hits.size >= this.opts.maxKeys) this.makeRoom();
      times = [];
      this.hits.set(key, times);
    }
    times.push(this.now());
    if (times.length > this.opts.max) times.splice(0, times.length - this.opts.max);
  }

  /** Takes back the key's latest hit (an attempt that turned out legitimate). */
  refund(key: string): void {
    const times = this.hits.get(key);
    times?.pop();
    if (times?.length === 0) this.hits.delete(key);
  }

  /** The key's hits inside the window (forgetting the key when none are). */
  private live(key: string): number[] | undefined {
    const times = this.hits.get(key);
    if (!times) return undefined;
    const from = this.now() - this.opts.windowMs;
    while (times.length > 0 && times[0]! <= from) times.shift();
    if (times.length === 0) {
      this.hits.delete(key);
      return undefined;
    }
    return times;
  }

  private makeRoom(): void {
    const from = this.now() - this.opts.windowMs;
    for (const [key, times] of this.hits) if (times.at(-1)! <= from) this.hits.delete(key);
    // Still full: forget the key remembered longest. Memory stays bounded whatever the number
    // of addresses; an attacker with that many addresses gains at most a fresh count for them.
    while (this.hits.size >= this.opts.maxKeys) {
      const oldest = this.hits.keys().next().value as string;
      this.hits.delete(oldest);
    }
  }
}

/**
 * The key of a remote address: IPv4 as is (also when mapped into IPv6), IPv6 by its /64, the
 * block one subscriber usually holds.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const bare = address.split('%')[0]!.toLowerCase();
  const [head, tail] = bare.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (g || '0').replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
