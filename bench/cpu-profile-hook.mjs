// Node 20 refuses --cpu-prof in NODE_OPTIONS; this does the same for a child process:
//   NODE_OPTIONS="--import /abs/path/bench/cpu-profile-hook.mjs" CPU_PROFILE_FILE=/tmp/x.cpuprofile
// The profile is written when the process exits (process.exit or the end of the event loop).
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const file = (process.env.CPU_PROFILE_FILE ?? `cpu-${process.pid}.cpuprofile`).replace('%p', String(process.pid));
const session = new Session();
session.connect();
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.enable');
session.post('Profiler.start');
process.on('exit', () => {
  // In-thread inspector sessions answer synchronously, so this works inside 'exit'.
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(file, JSON.stringify(result.profile));
  });
});
