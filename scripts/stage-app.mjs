// Stages the packaged app's directory (electron-builder's "two package.json" layout) so that the
// pack-time native rebuild never touches the working tree's node_modules, which must keep
// better-sqlite3 built for Node's ABI (the tests load it). The staging dir holds:
//   package.json  generated: the root's metadata, `main`, and the root's runtime `dependencies`
//   dist/electron, dist/renderer  the built bundles
//   node_modules  the closure of the runtime dependencies, copied from the root node_modules,
//                 without any native build output (rebuilt for Electron's ABI at pack time)
//
//   node scripts/stage-app.mjs [outDir]     (default stage/app, or $COACHDESK_STAGE_DIR)
//
// It is also electron-builder's `beforePack` hook (see electron-builder.yml), which rebuilds the
// staged better-sqlite3 for Electron's ABI and the arch being packed. electron-builder's own rebuild
// (npmRebuild) cannot be used: it searches node_modules from the app dir up to the project root, so
// with the staging dir inside the repo it rebuilds the repo's better-sqlite3 as well; and telling it
// to skip (a `beforeBuild` hook resolving to false) also stops it from packing node_modules at all.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_STAGE_DIR = join(ROOT, 'stage', 'app');
const APP_MAIN = 'dist/electron/main.cjs';
const METADATA_FIELDS = ['name', 'productName', 'version', 'description', 'author', 'license', 'homepage', 'repository'];

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function isInside(child, parent) {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel));
}

/**
 * Finds `name` the way Node's resolver would from inside `fromDir` (a package dir or the root),
 * looking in each node_modules on the way up, but never above `rootDir`.
 */
function findPackageDir(name, fromDir, rootDir) {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (resolve(dir) === resolve(rootDir)) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The runtime closure of `dependencies`: every package reachable through `dependencies` and the
 * installed `optionalDependencies` of each package.json, as dirs relative to `rootDir`
 * (e.g. node_modules/bindings, or node_modules/a/node_modules/b for a nested copy).
 */
export function runtimeClosure(rootDir, dependencies) {
  const found = new Map(); // relative dir -> package name
  const queue = Object.keys(dependencies ?? {}).map((name) => ({ name, from: rootDir, optional: false, by: 'package.json' }));
  while (queue.length > 0) {
    const { name, from, optional, by } = queue.shift();
    const dir = findPackageDir(name, from, rootDir);
    if (dir === undefined) {
      if (optional) continue;
      throw new Error(`${name} (a dependency of ${by}) is not installed under ${join(rootDir, 'node_modules')}: run npm ci`);
    }
    const rel = relative(rootDir, dir);
    if (found.has(rel)) continue;
    found.set(rel, name);
    const pkg = readJson(join(dir, 'package.json'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false, by: name });
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true, by: name });
  }
  return [...found.keys()].sort();
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/**
 * Copies one package of the closure, leaving out its nested node_modules (members of the closure
 * there are copied on their own), the native build output of a node-gyp package (build/) and every
 * .node binary: whatever is in the root was built for Node's ABI, not Electron's.
 */
function copyPackage(sourceDir, targetDir) {
  const native = existsSync(join(sourceDir, 'binding.gyp'));
  const binaries = listFiles(sourceDir).filter((file) => file.endsWith('.node') && !isInside(file, join(sourceDir, 'node_modules')));
  if (binaries.length > 0 && !native) {
    // Dropping these would leave a package that cannot load and that nothing rebuilds.
    throw new Error(`${sourceDir} ships prebuilt .node files but has no binding.gyp to rebuild them for Electron`);
  }
  const skipped = [join(sourceDir, 'node_modules'), ...(native ? [join(sourceDir, 'build')] : [])];
  cpSync(sourceDir, targetDir, {
    recursive: true,
    dereference: true,
    filter: (source) => !source.endsWith('.node') && !skipped.some((dir) => isInside(source, dir)),
  });
}

/**
 * Creates (from scratch) the staging app dir and returns what went into it.
 * `distDir` holds the built electron/ and renderer/ (default: the root's dist).
 */
export function stageApp({ rootDir = ROOT, outDir = DEFAULT_STAGE_DIR, distDir = join(rootDir, 'dist') } = {}) {
  const appDir = resolve(outDir);
  if (isInside(resolve(rootDir), appDir) || isInside(appDir, join(rootDir, 'node_modules')) || isInside(appDir, distDir)) {
    throw new Error(`refusing to stage into ${appDir}: it would overwrite the project`);
  }
  for (const required of [join(distDir, 'electron', 'main.cjs'), join(distDir, 'electron', 'preload.js'), join(distDir, 'renderer', 'index.html')]) {
    if (!existsSync(required)) throw new Error(`${required} is missing: run npm run build:desktop first`);
  }
  const root = readJson(join(rootDir, 'package.json'));
  const dependencies = root.dependencies ?? {};
  const packages = runtimeClosure(rootDir, dependencies);

  rmSync(appDir, { recursive: true, force: true });
  mkdirSync(appDir, { recursive: true });
  const pkg = {};
  for (const field of METADATA_FIELDS) if (root[field] !== undefined) pkg[field] = root[field];
  Object.assign(pkg, { main: APP_MAIN, dependencies });
  writeFileSync(join(appDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  cpSync(join(distDir, 'electron'), join(appDir, 'dist', 'electron'), { recursive: true });
  cpSync(join(distDir, 'renderer'), join(appDir, 'dist', 'renderer'), { recursive: true });
  for (const rel of packages) copyPackage(join(rootDir, rel), join(appDir, rel));
  return { appDir, packages };
}

/**
 * The @electron/rebuild options for the staged app: `projectRootPath` is the app dir itself, so the
 * search for node_modules stops there instead of climbing to the repo's node_modules.
 */
export function rebuildOptions({ appDir, electronVersion, platform, arch }) {
  return {
    buildPath: resolve(appDir),
    projectRootPath: resolve(appDir),
    electronVersion,
    platform,
    arch,
    mode: 'sequential',
    force: true,
    disablePreGypCopy: true,
  };
}

function electronVersionOf(rootDir) {
  return readJson(createRequire(join(rootDir, 'package.json')).resolve('electron/package.json')).version;
}

function archName(arch) {
  if (typeof arch === 'string') return arch;
  const builderUtil = createRequire(createRequire(join(ROOT, 'package.json')).resolve('app-builder-lib/package.json'))('builder-util');
  return builderUtil.Arch[arch];
}

/** electron-builder `beforePack` hook: runs once per platform and arch, before node_modules are copied. */
export async function beforePack(context) {
  const appDir = realpathSync(context.packager.info.appDir);
  if (appDir === realpathSync(ROOT) || readJson(join(appDir, 'package.json')).devDependencies !== undefined) {
    throw new Error(`beforePack: ${appDir} is not a staged app dir (run node scripts/stage-app.mjs and set directories.app)`);
  }
  const options = rebuildOptions({
    appDir,
    electronVersion: context.packager.config.electronVersion ?? context.packager.info.framework?.version ?? electronVersionOf(ROOT),
    platform: context.electronPlatformName === 'mas' ? 'darwin' : context.electronPlatformName,
    arch: archName(context.arch),
  });
  const fromBuilder = createRequire(createRequire(join(ROOT, 'package.json')).resolve('app-builder-lib/package.json'));
  const rebuildEntry = fromBuilder.resolve('@electron/rebuild');
  const { rebuild } = await import(pathToFileURL(rebuildEntry).href);
  console.log(`  • rebuilding native modules for Electron ${options.electronVersion} (${options.platform}-${options.arch}) in ${appDir}`);
  const run = rebuild(options);
  run.lifecycle.on('module-found', (name) => console.log(`    rebuilding ${name}`));
  await run;
  const { getAbi } = await import(pathToFileURL(createRequire(rebuildEntry).resolve('node-abi')).href);
  assertBuiltFor(appDir, getAbi(options.electronVersion, 'electron'));
}

/**
 * Every Node addon in the staged app must register for Electron's ABI (or be Node-API). node-gyp
 * quietly builds against Node's headers when npm_config_nodedir points at them, and @electron/rebuild
 * still records the build as done for Electron: such an app only fails when it opens its database.
 * (.node files that register no addon, like better-sqlite3's test SQLite extension, are skipped.)
 */
export function assertBuiltFor(appDir, abi) {
  let addons = 0;
  for (const file of listFiles(join(appDir, 'node_modules')).filter((f) => f.endsWith('.node'))) {
    const text = readFileSync(file).toString('latin1');
    const abis = [...text.matchAll(/node_register_module_v(\d+)/g)].map((m) => Number(m[1]));
    if (text.includes('napi_register_module_v') || abis.includes(abi)) addons++;
    else if (abis.length > 0) {
      const hint = process.env.npm_config_nodedir ? ` (npm_config_nodedir=${process.env.npm_config_nodedir} points node-gyp at other headers)` : '';
      throw new Error(`${relative(appDir, file)} is built for module ABI ${abis[0]}, not Electron's ${abi}${hint}`);
    }
  }
  if (addons === 0) throw new Error(`no native addon was built for Electron in ${appDir}`);
}

function main() {
  const outDir = process.argv[2] ?? process.env.COACHDESK_STAGE_DIR ?? DEFAULT_STAGE_DIR;
  const { appDir, packages } = stageApp({ outDir });
  console.log(`staged the app in ${relative(process.cwd(), appDir) || appDir} with ${packages.length} runtime packages: ${packages.map((p) => p.replace(/^.*node_modules[\\/]/, '')).join(', ')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(`stage-app: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
