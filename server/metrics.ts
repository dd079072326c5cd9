// The sync server's Prometheus metrics, in a registry of its own (several servers may share a
// process, in tests). Gauges are read from the server when scraped; counters move as it works.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AckStatus } from '../protocol/index.ts';

/** What the gauges read from the server at each scrape. */
export interface MetricsSource {
  /** Open connections by role; `pending` for those not past hello yet. */
  connectionsByRole(): Record<ConnectionRole, number>;
  catchUpsInFlight(): number;
  unsentBytes(): number;
}

export type ConnectionRole = 'coach' | 'trainee' | 'pending';
/** How a push frame was answered: its acks; `out_of_order` (acks up to the gap, then the error); `unavailable` or `failed` (nothing applied). */
export type PushOutcomeLabel = 'acked' | 'out_of_order' | 'unavailable' | 'failed';
/** The bound a slow reader was dropped at (`--max-buffered-mb`, `--max-buffered-total-mb`). */
export type DropBound = 'per_connection' | 'total';
/** What the server was doing when the store failed. */
export type StoreOperation = 'push' | 'catch_up' | 'request' | 'join' | 'hello' | 'last_seen' | 'revocation_check' | 'ledger_prune';

const ROLES: ConnectionRole[] = ['coach', 'trainee', 'pending'];
const ACK_STATUSES: AckStatus[] = ['applied', 'partial', 'superseded', 'rejected'];
const PUSH_OUTCOMES: PushOutcomeLabel[] = ['acked', 'out_of_order', 'unavailable', 'failed'];
const BOUNDS: DropBound[] = ['per_connection', 'total'];
const STORE_OPERATIONS: StoreOperation[] = ['push', 'catch_up', 'request', 'join', 'hello', 'last_seen', 'revocation_check', 'ledger_prune'];

export class SyncMetrics {
  readonly registry = new Registry();
  private readonly pushes: Counter<'outcome'>;
  private readonly ackedOps: Counter<'status'>;
  private readonly pushAckSeconds: Histogram;
  private readonly drops: Counter<'bound'>;
  private readonly storeErrors: Counter<'operation'>;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    new Gauge({
      name: 'coachdesk_sync_connections',
      help: 'Open /sync connections by role (pending: not past hello yet).',
      labelNames: ['role'],
      registers,
      collect() {
        const counts = source.connectionsByRole();
        for (const role of ROLES) this.set({ role }, counts[role]);
      },
    });
    this.pushes = new Counter({
      name: 'coachdesk_sync_pushes_total',
      help: 'Push frames answered, by outcome (acked, out_of_order, unavailable, failed).',
      labelNames: ['outcome'],
      registers,
    });
    this.ackedOps = new Counter({
      name: 'coachdesk_sync_acked_ops_total',
      help: 'Ops acked, by ack status (replayed acks included).',
      labelNames: ['status'],
      registers,
    });
    this.pushAckSeconds = new Histogram({
      name: 'coachdesk_sync_push_ack_seconds',
      help: 'From the receipt of a push frame to its acks being handed to the socket.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    new Gauge({
      name: 'coachdesk_sync_catch_ups_in_flight',
      help: 'Catch-ups being sent.',
      registers,
      collect() {
        this.set(source.catchUpsInFlight());
      },
    });
    new Gauge({
      name: 'coachdesk_sync_unsent_bytes',
      help: 'Bytes handed to connections and not yet written to their sockets, over all of them.',
      registers,
      collect() {
        this.set(source.unsentBytes());
      },
    });
    this.drops = new Counter({
      name: 'coachdesk_sync_slow_reader_drops_total',
      help: 'Connections dropped for unsent bytes past a bound (per_connection, total).',
      labelNames: ['bound'],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'coachdesk_sync_store_errors_total',
      help: 'Failures of the store (passing or not), by what the server was doing.',
      labelNames: ['operation'],
      registers,
    });
    // Every series from the start, so a rate over them needs no first event.
    for (const status of ACK_STATUSES) this.ackedOps.inc({ status }, 0);
    for (const outcome of PUSH_OUTCOMES) this.pushes.inc({ outcome }, 0);
    for (const bound of BOUNDS) this.drops.inc({ bound }, 0);
    for (const operation of STORE_OPERATIONS) this.storeErrors.inc({ operation }, 0);
  }

  pushAnswered(outcome: PushOutcomeLabel, receivedAtMs: number, acks: ReadonlyArray<{ status: AckStatus }> = []): void {
    this.pushes.inc({ outcome });
    // Counted first: a labelled inc costs about 0.2 µs, and a push carries up to 500 acks.
    const byStatus = new Map<AckStatus, number>();
    for (const ack of acks) byStatus.set(ack.status, (byStatus.get(ack.status) ?? 0) + 1);
    for (const [status, count] of byStatus) this.ackedOps.inc({ status }, count);
    if (outcome === 'acked' || outcome === 'out_of_order') this.pushAckSeconds.observe((performance.now() - receivedAtMs) / 1000);
  }

  dropped(bound: DropBound): void {
    this.drops.inc({ bound });
  }

  storeError(operation: StoreOperation): void {
    this.storeErrors.inc({ operation });
  }

  /** The exposition text, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
