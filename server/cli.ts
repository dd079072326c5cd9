import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { collectDefaultMetrics } from 'prom-client';
import { addCoach, addTraineeToken, revokeTokens } from './auth.ts';
import { backupServerFile } from './backup.ts';
import { CanonicalStore } from './canonical-store.ts';
import { openServerDb, type Db } from './db.ts';
import { DEFAULT_APP_DIR } from './http-app.ts';
import { SyncServer } from './sync-server.ts';
import { PgAccessStore } from './pg/access.ts';
import * as pgAuth from './pg/auth.ts';
import { describePgError, isPgUrl, migratePg, openPgPool, redactPgUrl } from './pg/schema.ts';
import { PgServedStore } from './pg/served-store.ts';

const USAGE = `usage:
  npm run server -- serve (--db ./sync.db | --postgres postgres://user@host/db) [--host 127.0.0.1] [--port 8787]
                          [--max-buffered-mb 16] [--max-buffered-total-mb 256]
                          [--public-url https://coach.example.com]   (the start of invite links)
                          [--app-dir ./dist/trainee]   (the trainee app's files, served at /)
                          [--tls-cert cert.pem --tls-key key.pem]   (serve https:// and wss://; both or neither)
                          [--ledger-retention-days 90]   (how long the idempotency ledger keeps an op; 0: forever)
                          [--stop-with-stdin]   (stop when standard input closes: a parent's lifeline)
        GET /healthz (up), /readyz (store answers), /metrics (Prometheus); SIGTERM stops gracefully
        (pushes received are answered, clients are closed with 1001); logs are JSON lines on stderr
  npm run server -- add-coach --db ./sync.db --name "Ana"
  npm run server -- add-trainee-token --db ./sync.db --trainee <traineeId>
  npm run server -- invite --db ./sync.db --trainee <traineeId> [--base-url http://127.0.0.1:8787] [--coach <coachId>]
  npm run server -- revoke-token --db ./sync.db (--token T | --user <userId>)
        these four take --postgres postgres://user@host/db in place of --db (a shared PostgreSQL
        store, migrated first)
  npm run server -- backup --db ./sync.db --to ./backup.db   (online and consistent, while serving; never overwrites)`;

const ADMIN_COMMANDS = new Set(['add-coach', 'add-trainee-token', 'invite', 'revoke-token']);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_SCRIPT = join(ROOT, 'scripts', 'build-trainee.mjs');
const BUILD_TIMEOUT_MS = 120_000;
const DEFAULT_BASE_URL = 'http://127.0.0.1:8787';

function fail(message: string): never {
  console.error(`error: ${message}\n${USAGE}`);
  process.exit(2);
}

/** A size in MB given on the command line, in bytes; undefined keeps the server's default. */
function megabytes(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const mb = Number(value);
  // Below a frame's size (1 MiB), one big push would get every reader of it dropped.
  if (value.trim() === '' || !Number.isFinite(mb) || mb < 1) fail(`${flag} must be a number of megabytes, 1 or more, not "${value}"`);
  return Math.round(mb * 1024 * 1024);
}

/** The certificate and key of --tls-cert and --tls-key, read and checked; undefined when neither is given. */
function tlsFiles(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (keyFile === undefined) fail('--tls-key FILE is required with --tls-cert (the private key of the certificate)');
  if (certFile === undefined) fail('--tls-cert FILE is required with --tls-key (the certificate of the key)');
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      fail(`cannot read ${flag} ${file}: ${(error as Error).message}`);
    }
  };
  const files = { cert: read('--tls-cert', certFile), key: read('--tls-key', keyFile) };
  try {
    createSecureContext(files);
  } catch (error) {
    fail(`--tls-cert ${certFile} and --tls-key ${keyFile} are not a PEM certificate and its private key: ${(error as Error).message}`);
  }
  return files;
}

/** --ledger-retention-days: whole days, 1 or more, or 0 for no retention (undefined: the server's default). */
function retentionDays(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  const days = Number(value);
  if (value.trim() === '' || !Number.isInteger(days) || days < 0) fail(`--ledger-retention-days must be a whole number of days (0 keeps every entry), not "${value}"`);
  return days === 0 ? null : days * 86_400_000;
}

/** An http(s) URL given on the command line, without its trailing slash. */
function baseUrl(flag: string, value: string): string {
  const trimmed = value.trim().replace(/\/+$/, '');
  let url: URL | undefined;
  try {
    url = new URL(trimmed);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    fail(`${flag} must be an http(s) URL such as ${DEFAULT_BASE_URL}, not "${value}"`);
  }
  return trimmed;
}

/**
 * Builds the trainee app (scripts/build-trainee.mjs) when its index.html is missing. Never
 * fatal: without the app, /sync works and the app's pages answer 503. One process builds at a
 * time (a lock file beside the folder); another that finds it building goes on without waiting.
 */
async function buildTraineeAppIfMissing(): Promise<void> {
  if (existsSync(join(DEFAULT_APP_DIR, 'index.html'))) return;
  if (!existsSync(BUILD_SCRIPT)) {
    console.error('the trainee app is not built and scripts/build-trainee.mjs is missing: serving /sync only (the app answers 503)');
    return;
  }
  const lock = `${DEFAULT_APP_DIR}.build-lock`;
  try {
    mkdirSync(dirname(lock), { recursive: true });
    try {
      closeSync(openSync(lock, 'wx'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() - statSync(lock).mtimeMs < BUILD_TIMEOUT_MS + 10_000) {
        console.error('the trainee app is being built by another process: serving meanwhile');
        return;
      }
      rmSync(lock, { force: true }); // left behind by a build that died
      closeSync(openSync(lock, 'wx'));
    }
  } catch (error) {
    console.error(`could not build the trainee app (${(error as Error).message}): serving /sync, the app answers 503`);
    return;
  }
  try {
    console.error('building the trainee app: node scripts/build-trainee.mjs');
    const outcome = await new Promise<string | undefined>((resolve) => {
      // Its output goes to standard error: standard output carries the "listening" line.
      const child = spawn(process.execPath, [BUILD_SCRIPT], { cwd: ROOT, stdio: ['ignore', 2, 'inherit'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
      child.once('error', (error) => {
        clearTimeout(timer);
        resolve(error.message);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (signal === 'SIGKILL') resolve(`it did not finish within ${BUILD_TIMEOUT_MS / 1000} s`);
        else if (code !== 0) resolve(`it exited with ${code ?? signal}`);
        else if (!existsSync(join(DEFAULT_APP_DIR, 'index.html'))) resolve('it wrote no dist/trainee/index.html');
        else resolve(undefined);
      });
    });
    if (outcome) console.error(`the trainee app could not be built (${outcome}): serving /sync, the app answers 503`);
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Runs one admin command on the database file and prints its result as JSON. */
async function withDb(file: string, command: (db: Db) => unknown): Promise<void> {
  const db = openServerDb(file);
  try {
    console.log(JSON.stringify(await command(db)));
  } finally {
    db.close();
  }
}

/** Runs one admin command on the PostgreSQL database, migrated first, and prints its result as JSON. */
async function withPostgres(url: string, command: (pool: pg.Pool) => Promise<unknown>): Promise<void> {
  const pool = openPgPool(url, { max: 2 });
  try {
    try {
      await migratePg(pool);
    } catch (error) {
      throw new Error(`PostgreSQL at ${redactPgUrl(url)}: ${describePgError(error)}`);
    }
    console.log(JSON.stringify(await command(pool)));
  } finally {
    await pool.end();
  }
}

/** A node's store on PostgreSQL: its pool (migrated first) and its LISTEN connection. */
async function servePostgres(url: string): Promise<PgServedStore> {
  const pool = openPgPool(url, { max: Number(process.env.COACHDESK_PG_POOL ?? 10) || 10 });
  try {
    await migratePg(pool);
  } catch (error) {
    await pool.end().catch(() => {});
    throw new Error(`PostgreSQL at ${redactPgUrl(url)}: ${describePgError(error)}`);
  }
  return new PgServedStore(pool, url, { onListenError: (error) => console.error(`PostgreSQL LISTEN connection lost (${error.message}); reconnecting`) });
}

/** Where an admin command runs: exactly one of --db FILE and --postgres URL. */
type AdminStore = { file: string } | { url: string };

function adminStore(db: string | undefined, postgres: string | undefined): AdminStore {
  if (db !== undefined && postgres !== undefined) fail('give --db FILE or --postgres URL, not both');
  if (postgres !== undefined) {
    if (!isPgUrl(postgres)) fail(`--postgres must be a postgres:// or postgresql:// URL, not "${redactPgUrl(postgres)}"`);
    return { url: postgres };
  }
  if (!db) fail('--db FILE or --postgres URL is required');
  return { file: db };
}

/** What `invite` prints, made by a store of either kind as the trainee's coach. */
async function invite(
  store: Pick<PgAccessStore, 'traineeOwner' | 'createInvite'> | Pick<CanonicalStore, 'traineeOwner' | 'createInvite'>,
  trainee: string,
  coach: string | undefined,
  base: string,
): Promise<{ code: string; url: string; expiresAt: string }> {
  const owner = await store.traineeOwner(trainee);
  if (!owner) throw new Error(`no trainee with id ${trainee}: the coach must create (and sync) the trainee first`);
  if (owner.deleted) throw new Error(`trainee ${trainee} has been deleted`);
  if (coach !== undefined && coach !== owner.coachId) throw new Error(`trainee ${trainee} is not a trainee of coach ${coach}`);
  const made = (await store.createInvite(owner.coachId, trainee, new Date()))!;
  return { code: made.code, url: `${base}/join#${made.code}`, expiresAt: made.expiresAt };
}

/** add-coach, add-trainee-token, invite and revoke-token, on either store. */
async function admin(
  command: string,
  store: AdminStore,
  values: { name?: string; trainee?: string; token?: string; user?: string; coach?: string; 'base-url'?: string },
): Promise<void> {
  const run = (onFile: (db: Db) => unknown, onPostgres: (pool: pg.Pool) => Promise<unknown>) =>
    'url' in store ? withPostgres(store.url, onPostgres) : withDb(store.file, onFile);
  switch (command) {
    case 'add-coach': {
      if (!values.name) fail('--name is required');
      const name = values.name;
      return run((db) => addCoach(db, name), (pool) => pgAuth.addCoach(pool, name));
    }
    case 'add-trainee-token': {
      if (!values.trainee) fail('--trainee <traineeId> is required');
      const trainee = values.trainee;
      return run((db) => addTraineeToken(db, trainee), (pool) => pgAuth.addTraineeToken(pool, trainee));
    }
    case 'invite': {
      if (!values.trainee) fail('--trainee <traineeId> is required');
      const trainee = values.trainee;
      const base = baseUrl('--base-url', values['base-url'] ?? DEFAULT_BASE_URL);
      const coach = values.coach;
      if ('file' in store && !existsSync(store.file)) throw new Error(`no database at ${store.file}`);
      return run(
        (db) => invite(new CanonicalStore(db), trainee, coach, base),
        (pool) => invite(new PgAccessStore(pool), trainee, coach, base),
      );
    }
    case 'revoke-token': {
      const by = { token: values.token, userId: values.user };
      return run(
        (db) => ({ revoked: revokeTokens(db, by) }),
        async (pool) => ({ revoked: await pgAuth.revokeTokens(pool, by) }),
      );
    }
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        db: { type: 'string' },
        postgres: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        name: { type: 'string' },
        trainee: { type: 'string' },
        token: { type: 'string' },
        user: { type: 'string' },
        'max-buffered-mb': { type: 'string' },
        'max-buffered-total-mb': { type: 'string' },
        'stop-with-stdin': { type: 'boolean' },
        'public-url': { type: 'string' },
        'app-dir': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'ledger-retention-days': { type: 'string' },
        to: { type: 'string' },
        'base-url': { type: 'string' },
        coach: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return;
  }
  if (ADMIN_COMMANDS.has(command)) return admin(command, adminStore(values.db, values.postgres), values);
  if (values.postgres !== undefined && command === 'backup') fail('backup takes --db FILE only: back up PostgreSQL with pg_dump');
  if (command === 'serve') {
    if (values.db !== undefined && values.postgres !== undefined) fail('give --db FILE or --postgres URL, not both');
    if (values.postgres !== undefined && !isPgUrl(values.postgres)) fail(`--postgres must be a postgres:// or postgresql:// URL, not "${redactPgUrl(values.postgres)}"`);
    if (values.db === undefined && values.postgres === undefined) fail('--db FILE or --postgres URL is required');
  } else if (!values.db) fail('--db FILE is required');

  switch (command) {
    case 'serve': {
      const port = values.port === undefined ? 8787 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, not ${values.port}`);
      // Crash tests only: COACHDESK_CRASH_AFTER_COMMITS=N kills the server between commit and ack.
      const crashAfterCommits = Number(process.env.COACHDESK_CRASH_AFTER_COMMITS ?? 0) || 0;
      const publicUrl = values['public-url'] === undefined ? undefined : baseUrl('--public-url', values['public-url']);
      const appDir = values['app-dir'];
      const tls = tlsFiles(values['tls-cert'], values['tls-key']);
      const ledgerRetentionMs = retentionDays(values['ledger-retention-days']);
      if (appDir === undefined) await buildTraineeAppIfMissing();
      const store = values.postgres === undefined ? undefined : await servePostgres(values.postgres);
      const server = new SyncServer({
        ...(store ? { store } : { db: values.db! }),
        host: values.host ?? '127.0.0.1',
        port,
        crashAfterCommits,
        maxBufferedBytes: megabytes('--max-buffered-mb', values['max-buffered-mb']),
        maxBufferedTotalBytes: megabytes('--max-buffered-total-mb', values['max-buffered-total-mb']),
        publicUrl,
        appDir,
        tls,
        ledgerRetentionMs,
      });
      // The process's own (memory, CPU, event loop lag), beside the server's: one server per process here.
      collectDefaultMetrics({ register: server.metrics.registry });
      let url: string;
      try {
        url = await server.listen();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const where = `${values.host ?? '127.0.0.1'}:${port}`;
        if (code === 'EADDRINUSE') console.error(`error: ${where} is already in use (another CoachDesk or sync server?): stop it, or choose another port`);
        else if (code === 'EACCES' || code === 'EADDRNOTAVAIL') console.error(`error: cannot listen on ${where} (${code})`);
        else throw error;
        process.exit(3);
      }
      console.log(`listening ${url}`);
      const { maxBufferedBytes, maxBufferedTotalBytes } = server.bounds;
      console.error(`readers that stop reading are dropped past ${maxBufferedBytes / 2 ** 20} MiB unsent each, ${maxBufferedTotalBytes / 2 ** 20} MiB in all`);
      // Graceful: pushes already received are answered, then clients are told to go (1001).
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        server.shutdown().then(
          () => process.exit(0),
          (error: Error) => {
            console.error(`error: could not shut down cleanly: ${error.message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // An embedded server stops with the app that started it, even one killed with -9: the
      // pipe of its standard input closes when the parent is gone.
      if (values['stop-with-stdin']) {
        process.stdin.on('close', stop);
        process.stdin.on('end', stop);
        process.stdin.resume();
      }
      return;
    }
    case 'backup': {
      const db = values.db!;
      if (!values.to) fail('--to FILE is required (a new file: a backup never overwrites)');
      if (!existsSync(db)) throw new Error(`no database at ${db}`);
      console.log(JSON.stringify({ to: values.to, ...(await backupServerFile(db, values.to)) }));
      return;
    }
    default:
      fail(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
