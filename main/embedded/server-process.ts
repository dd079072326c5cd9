import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The sync server's CLI. The app runs it as a separate process and never imports its code. */
const SERVER_CLI = fileURLToPath(new URL('../../server/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function serverArgs(args: string[]): string[] {
  return ['--import', 'tsx', SERVER_CLI, ...args];
}

/** The server could not start; the message is the server's own (e.g. "127.0.0.1:8787 is already in use …"). */
export class ServerStartError extends Error {}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `server serve` and resolves with its URL once it prints `listening …`. The server's
 * standard input is a pipe from this process: when this process ends, however it ends, the
 * server stops (`--stop-with-stdin`), so an embedded server never outlives its app. If it exits
 * before listening, the error carries the last thing it said (a busy port, say).
 */
export function startServerProcess(
  db: string,
  opts: {
    host?: string;
    port?: number;
    env?: NodeJS.ProcessEnv;
    /** More `serve` options, e.g. ['--max-buffered-mb', '4']. */
    args?: string[];
    /** Each line the server logs; without it the log goes to this process's stderr. */
    onLog?: (line: string) => void;
  } = {},
): Promise<ServerProcess> {
  const args = ['serve', '--db', db, '--host', opts.host ?? '127.0.0.1', '--port', String(opts.port ?? 0), '--stop-with-stdin', ...(opts.args ?? [])];
  const child = spawn(process.execPath, serverArgs(args), {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  // Until it listens, what the server says is kept: a failure's message is the caller's to tell.
  const said: string[] = [];
  let listening = false;
  const log = (line: string) => (opts.onLog ? opts.onLog(line) : process.stderr.write(`${line}\n`));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (listening) return log(line);
    said.push(line);
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const onExit = (code: number | null) => {
      const last = said.filter((l) => l.startsWith('error:')).at(-1) ?? said.at(-1);
      reject(new ServerStartError(last ? last.replace(/^error: /, '') : `the sync server exited (${code}) before listening`));
    };
    // 'close' comes after the last of stderr, so the message above is complete.
    child.once('close', onExit);
    lines.on('line', (line) => {
      const m = /^listening (\S+)/.exec(line);
      if (!m) return;
      child.off('close', onExit);
      listening = true;
      for (const early of said.splice(0)) log(early);
      resolve({
        url: m[1]!,
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Runs one admin command of the server CLI (add-coach, add-trainee-token, …) and parses its JSON. */
export function serverAdmin<T = { userId: string; token: string }>(args: string[]): Promise<T> {
  const child = spawn(process.execPath, serverArgs(args), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`server ${args[0]} failed: ${err.trim() || `exit ${code}`}`));
      try {
        resolve(JSON.parse(out) as T);
      } catch {
        reject(new Error(`server ${args[0]} printed no JSON: ${out.trim()}`));
      }
    });
  });
}
