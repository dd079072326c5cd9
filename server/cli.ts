import { parseArgs } from 'node:util';
import { addCoach, addTraineeToken, revokeTokens } from './auth.ts';
import { openServerDb } from './db.ts';
import { SyncServer } from './sync-server.ts';

const USAGE = `usage:
  npm run server -- serve --db ./sync.db [--host 127.0.0.1] [--port 8787]
  npm run server -- add-coach --db ./sync.db --name "Ana"
  npm run server -- add-trainee-token --db ./sync.db --trainee <traineeId>
  npm run server -- revoke-token --db ./sync.db (--token T | --user <userId>)`;

function fail(message: string): never {
  console.error(`error: ${message}\n${USAGE}`);
  process.exit(2);
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
      const server = new SyncServer({ db: values.db, host: values.host ?? '127.0.0.1', port, crashAfterCommits });
      const url = await server.listen();
      console.log(`listening ${url}`);
      const stop = () => {
        void server.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      return;
    }
    case 'add-coach': {
      if (!values.name) fail('--name is required');
      const db = openServerDb(values.db);
      try {
        console.log(JSON.stringify(addCoach(db, values.name)));
      } finally {
        db.close();
      }
      return;
    }
    case 'add-trainee-token': {
      if (!values.trainee) fail('--trainee <traineeId> is required');
      const db = openServerDb(values.db);
      try {
        console.log(JSON.stringify(addTraineeToken(db, values.trainee)));
      } finally {
        db.close();
      }
      return;
    }
    case 'revoke-token': {
      const db = openServerDb(values.db);
      try {
        const revoked = revokeTokens(db, { token: values.token, userId: values.user });
        console.log(JSON.stringify({ revoked }));
      } finally {
        db.close();
      }
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
