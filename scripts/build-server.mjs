// Bundles the sync server's command line (server/cli.ts) into one ES module for running without
// the repository, its TypeScript loader or its devDependencies (the Docker image runs it):
//   dist/server/cli.mjs, cli.mjs.map   the server, protocol/ and every package they import
//                                      (ws, zod, pino, prom-client, …) in one file
//   dist/server/package.json           what it needs installed beside it: better-sqlite3 only
//   dist/server/node_modules/          better-sqlite3 and the packages it loads at run time,
//                                      copied from the repository's node_modules with its
//                                      compiled module (so for this machine's Node ABI, OS and
//                                      libc) and without its sources and build leftovers
//
//   node scripts/build-server.mjs [--outdir DIR] [--no-modules]
//   node DIR/cli.mjs serve --db ./sync.db --app-dir ./dist/trainee
//
// The bundle has no default for the trainee app's folder that works: server/http-app.ts finds it
// next to its own source file, which a bundle does not have. Always pass --app-dir.
// --no-modules leaves node_modules out (install better-sqlite3 beside the bundle yourself, e.g.
// `npm install --omit=dev` in DIR, which its package.json allows).
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * What the bundle leaves to be loaded at run time: better-sqlite3 (native), and the optional
 * speed-ups ws requires inside try/catch (not shipped; ws works without them).
 */
export const SERVER_EXTERNALS = ['better-sqlite3', 'bufferutil', 'utf-8-validate'];

/**
 * Dependencies of the runtime packages that are used only when installing them: prebuild-install
 * downloads better-sqlite3's compiled module during `npm install`, and is never loaded after.
 */
const INSTALL_TIME_ONLY = new Set(['prebuild-install']);

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Finds `name` as Node would from `fromDir`, in each node_modules on the way up to `rootDir`. */
function findPackageDir(name, fromDir, rootDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (resolve(dir) === resolve(rootDir) || dirname(dir) === dir) return undefined;
  }
}

/** The packages the runtime dependencies load, as dirs relative to rootDir (node_modules/bindings, …). */
export function serverRuntimeClosure(rootDir = ROOT) {
  const found = new Set();
  const queue = [{ name: 'better-sqlite3', from: rootDir, optional: false, by: 'the server' }];
  while (queue.length > 0) {
    const { name, from, optional, by } = queue.shift();
    if (INSTALL_TIME_ONLY.has(name)) continue;
    const dir = findPackageDir(name, from, rootDir);
    if (dir === undefined) {
      if (optional) continue;
      throw new Error(`${name} (needed by ${by}) is not installed under ${join(rootDir, 'node_modules')}: run npm ci`);
    }
    const rel = relative(rootDir, dir);
    if (found.has(rel)) continue;
    found.add(rel);
    const pkg = readJson(join(dir, 'package.json'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false, by: name });
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true, by: name });
  }
  return [...found].sort();
}

/**
 * Copies one package without what only building it needs: a native package (one with a
 * binding.gyp) keeps its JavaScript and its compiled build/Release/*.node, not its C sources
 * (deps/, src/) or the compiler's objects.
 */
function copyPackage(sourceDir, targetDir) {
  const native = existsSync(join(sourceDir, 'binding.gyp'));
  cpSync(sourceDir, targetDir, {
    recursive: true,
    dereference: true,
    filter: (path) => {
      const rel = relative(sourceDir, path);
      if (rel === '') return true;
      const parts = rel.split(sep);
      // A nested node_modules is a package of its own: the closure copies it if it is needed.
      if (parts.includes('node_modules')) return false;
      if (!native) return true;
      const [top, second, ...rest] = parts;
      if (top === 'deps' || top === 'src' || top === 'binding.gyp') return false;
      if (top !== 'build') return true;
      if (second === undefined) return true; // the folder itself
      if (second !== 'Release') return false;
      if (rest.length === 0) return true;
      return rest.length === 1 && rest[0].endsWith('.node') && rest[0] !== 'test_extension.node';
    },
  });
}

export function serverBuildOptions(outDir = join(ROOT, 'dist', 'server')) {
  return {
    absWorkingDir: ROOT,
    entryPoints: ['server/cli.ts'],
    outfile: join(outDir, 'cli.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    external: SERVER_EXTERNALS,
    // ws and other CommonJS inside an ES module bundle call require() for Node's own modules.
    banner: { js: "import { createRequire as __coachdeskCreateRequire } from 'node:module';\nconst require = __coachdeskCreateRequire(import.meta.url);" },
  };
}

export async function buildServer({ outDir = join(ROOT, 'dist', 'server'), modules = true, metafile = false } = {}) {
  const out = resolve(outDir);
  // The folder is replaced whole; never one that holds anything but an earlier build.
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, 'cli.mjs'))) {
    throw new Error(`refusing to replace ${out}: it is not empty and holds no earlier build (cli.mjs)`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await build({ ...serverBuildOptions(out), metafile });

  const root = readJson(join(ROOT, 'package.json'));
  const installed = readJson(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json')).version;
  const pkg = {
    name: `${root.name}-server`,
    version: root.version,
    private: true,
    description: 'The CoachDesk sync server, bundled (scripts/build-server.mjs)',
    license: root.license,
    type: 'module',
    bin: { 'coachdesk-server': './cli.mjs' },
    engines: root.engines,
    // The version built and tested with, exactly: the copied compiled module is that version's.
    dependencies: { 'better-sqlite3': installed },
  };
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

  const copied = [];
  if (modules) {
    for (const rel of serverRuntimeClosure(ROOT)) {
      copyPackage(join(ROOT, rel), join(out, rel));
      copied.push(rel);
    }
  }
  return { outDir: out, modules: copied, metafile: result.metafile };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--outdir');
  const outDir = at >= 0 ? argv[at + 1] : undefined;
  const known = new Set(['--outdir', '--no-modules']);
  const unknown = argv.filter((arg, i) => !known.has(arg) && !(i === at + 1 && at >= 0));
  if ((at >= 0 && (outDir === undefined || outDir.startsWith('--'))) || unknown.length > 0) {
    console.error(`usage: node scripts/build-server.mjs [--outdir DIR] [--no-modules]${unknown.length ? ` (unknown: ${unknown.join(' ')})` : ''}`);
    process.exit(2);
  }
  let built;
  try {
    built = await buildServer({ outDir: outDir ?? join(ROOT, 'dist', 'server'), modules: !argv.includes('--no-modules') });
  } catch (error) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  const { outDir: out, modules } = built;
  const where = relative(process.cwd(), out) || '.';
  console.log(`sync server bundled into ${where}/cli.mjs${modules.length ? ` with ${modules.join(', ')}` : ''}`);
}
