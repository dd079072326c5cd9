import { openWebSocket } from '../sync/node-socket.ts';
import { openLocalStore } from '../sync/node-sqlite.ts';
import { newId } from '../../protocol/index.ts';
import { parseArgs } from 'node:util';
import type { Edit } from '../../sync/local-store.ts';
import { LocalStore, LocalStoreError, NewerDatabaseError, UnusableDatabaseError } from '../../sync/local-store.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import { planSetLogs } from './set-log-plan.ts';

const USAGE = `usage: npm run client -- <command> --db FILE [--server URL --token T] [--timeout SECONDS]
commands:
  sync                         drain the outbox, catch up, print {"pending","acked","rejected"}
  log-sets --session ID --count N [--workout ID | --exercise ID] [--reps N] [--load KG]
                               queue N logged sets in a session (created for the workout if new), then sync
  status                       what this install holds, without the network
  failed                       list edits the server refused
  retry --key K | discard --key K
                               send a refused edit again, or drop it`;

/** Exit codes: 0 done, 2 bad usage, 3 not everything synced in time, 4 refused by the server, 5 the local database is damaged, 6 it is from a newer CoachDesk. */
class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

function parse(argv: string[]) {
  const [command, ...rest] = argv;
  try {
    const { values } = parseArgs({
      args: rest,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        db: { type: 'string' },
        timeout: { type: 'string' },
        session: { type: 'string' },
        count: { type: 'string' },
        exercise: { type: 'string' },
        workout: { type: 'string' },
        reps: { type: 'string' },
        load: { type: 'string' },
        key: { type: 'string' },
      },
      strict: true,
    });
    return { command, values };
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
}

function positiveInt(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1) throw new CliError(`--${name} must be a whole number of 1 or more`, 2);
  return n;
}

async function syncNow(store: LocalStore, server: string | undefined, token: string | undefined, timeoutMs: number) {
  if (!server || !token) throw new CliError('--server URL and --token T are required to sync', 2);
  const engine = new SyncEngine({ connect: openWebSocket,  store, url: server, token });
  engine.start();
  const idle = await engine.whenIdle(timeoutMs);
  await engine.stop();
  const state = engine.getState();
  const summary = { pending: state.pending, acked: engine.counters.acked, rejected: engine.counters.rejected };
  if (state.error?.code === 'unauthorized' || state.error?.code === 'protocol' || state.error?.code === 'wrong_user') {
    console.log(JSON.stringify(summary));
    throw new CliError(state.error.message, 4);
  }
  return { summary, idle, error: state.error };
}

async function run(argv: string[]): Promise<number> {
  const { command, values } = parse(argv);
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return 0;
  }
  if (!values.db) throw new CliError('--db FILE is required', 2);
  const timeoutMs = positiveInt('timeout', values.timeout, 30) * 1000;
  const store = openLocalStore(values.db);
  try {
    const finish = async (extra: Record<string, unknown> = {}) => {
      const { summary, idle, error } = await syncNow(store, values.server, values.token, timeoutMs);
      console.log(JSON.stringify({ ...summary, ...extra }));
      if (!idle) {
        console.error(`not fully synced within ${timeoutMs / 1000} s${error ? `: ${error.message}` : ''}; the outbox keeps ${summary.pending} edit(s)`);
        return 3;
      }
      return 0;
    };
    switch (command) {
      case 'sync':
        return await finish();
      case 'log-sets': {
        if (!values.session) throw new CliError('--session ID is required', 2);
        const count = positiveInt('count', values.count);
        const userId = store.identity.userId;
        if (!userId) throw new CliError('this database has never synced, so it does not know who you are: run sync first', 2);
        const plan = planSetLogs(store, {
          sessionId: values.session,
          traineeId: userId,
          count,
          exerciseId: values.exercise,
          workoutId: values.workout,
          reps: values.reps === undefined ? undefined : positiveInt('reps', values.reps),
          load: values.load === undefined ? undefined : Number(values.load),
          newId,
        });
        if (typeof plan === 'string') throw new CliError(plan, 2);
        store.enqueueAll(plan satisfies Edit[]);
        return await finish({ logged: count });
      }
      case 'status': {
        const { userId, role } = store.identity;
        console.log(
          JSON.stringify({
            clientId: store.clientId,
            userId: userId ?? null,
            role: role ?? null,
            lastVersion: store.lastVersion,
            lastSyncAt: store.getMeta('lastSyncAt') ?? null,
            pending: store.pendingCount,
            failed: store.failedOps().length,
            journal: store.journal(1_000_000).length,
            rows: store.counts(),
          }),
        );
        return 0;
      }
      case 'failed':
        console.log(JSON.stringify(store.failedOps(), null, 2));
        return 0;
      case 'retry':
        if (!values.key) throw new CliError('--key K is required', 2);
        store.retry(values.key);
        return await finish();
      case 'discard':
        if (!values.key) throw new CliError('--key K is required', 2);
        store.discard(values.key);
        console.log(JSON.stringify({ discarded: values.key }));
        return 0;
      default:
        throw new CliError(`unknown command "${command}"\n${USAGE}`, 2);
    }
  } finally {
    store.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`error: ${error.message}`);
    process.exit(error instanceof CliError ? error.code : error instanceof NewerDatabaseError ? 6 : error instanceof UnusableDatabaseError ? 5 : error instanceof LocalStoreError ? 2 : 1);
  },
);
