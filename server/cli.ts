import { parseArgs } from 'node:util';
import { addCoach, addTraineeToken, revokeTokens } from './auth.ts';
import { openServerDb, type Db } from './db.ts';
import { SyncServer } from './sync-server.ts';

const USAGE = `usage:
  npm run server -- serve --db ./sync.db [--host 127.0.0.1] [--port 8787]
                          [--max-buffered-mb 16] [--max-buffered-total-mb 256]
                          [--stop-with-stdin]   (stop when standard input closes: a parent's lifeline)
  npm run server -- add-coach --db ./sync.db --name "Ana"
  npm run server -- add-trainee-token --db ./sync.db --trainee <traineeId>
  npm run server -- revoke-token --db ./sync.db (--token T | --user <userId>)`;

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

/** Runs one admin command on the database file and prints its result as JSON. */
function withDb(file: string, command: (db: Db) => unknown): void {
  const db = openServerDb(file);
  try {
    console.log(JSON.stringify(command(db)));
  } finally {
    db.close();
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
        host: { type: 'string' },
        port: { type: 'string' },
        name: { type: 'string' },
        trainee: { type: 'string' },
        token: { type: 'string' },
        user: { type: 'string' },
        'max-buffered-mb': { type: 'string' },
        'max-buffered-total-mb': { type: 'string' },
        'stop-with-stdin': { type: 'boolean' },
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
  if (!values.db) fail('--db FILE is required');

  switch (command) {
    case 'serve': {
      const port = values.port === undefined ? 8787 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, not ${values.port}`);
      // Crash tests only: COACHDESK_CRASH_AFTER_COMMITS=N kills the server between commit and ack.
      const crashAfterCommits = Number(process.env.COACHDESK_CRASH_AFTER_COMMITS ?? 0) || 0;
      const server = new SyncServer({
        db: values.db,
        host: values.host ?? '127.0.0.1',
        port,
        crashAfterCommits,
        maxBufferedBytes: megabytes('--max-buffered-mb', values['max-buffered-mb']),
        maxBufferedTotalBytes: megabytes('--max-buffered-total-mb', values['max-buffered-total-mb']),
      });
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
      const stop = () => {
        void server.close().then(() => process.exit(0));
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
    case 'add-coach': {
      if (!values.name) fail('--name is required');
      const name = values.name;
      return withDb(values.db, (db) => addCoach(db, name));
    }
    case 'add-trainee-token': {
      if (!values.trainee) fail('--trainee <traineeId> is required');
      const trainee = values.trainee;
      return withDb(values.db, (db) => addTraineeToken(db, trainee));
    }
    case 'revoke-token': {
      return withDb(values.db, (db) => ({ revoked: revokeTokens(db, { token: values.token, userId: values.user }) }));
    }
    default:
      fail(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
