import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openDemoWorkspace } from './demo-workspace.ts';

// `npm start`: the embedded sync server with demo data, ready for the desktop app and the
// reference client. (The desktop window arrives with the coach workstation.)
const { values } = parseArgs({ options: { data: { type: 'string' }, port: { type: 'string' } } });
const dir = resolve(values.data ?? '.coachdesk-demo/demo');
const port = values.port === undefined ? 8787 : Number(values.port);

const ws = await openDemoWorkspace(dir, { port });
const ben = ws.accounts.trainees.find((t) => t.token);
console.log(`CoachDesk demo: sync server ${ws.server.url} (data in ${dir})`);
console.log(`  coach  ${ws.accounts.coach.name}: token ${ws.accounts.coach.token}`);
if (ben) console.log(`  trainee ${ben.name}: token ${ben.token}`);
console.log('Try the reference client:');
console.log(`  npm run client -- sync --server ${ws.server.url} --token ${ws.accounts.coach.token} --db ${dir}/my-coach.db`);
console.log(`  npm run client -- status --db ${dir}/my-coach.db`);
console.log('Ctrl-C stops the server.');
const stop = () => void ws.server.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
