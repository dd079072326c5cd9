// What the packaged app can require at run time. The main bundle (esbuild) leaves some modules
// external; each must be a Node builtin, Electron, an optional require wrapped in try/catch, or
// shipped in the staged app dir (scripts/stage-app.mjs) that electron-builder packs. The stage must
// hold no native binary built for Node's ABI, and the pack-time rebuild must stay inside it.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { join, relative, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OPTIONAL_REQUIRES = new Set(['bufferutil', 'utf-8-validate']);

interface BuildDesktop {
  buildDesktop(options: { outDir: string; metafile: boolean }): Promise<{ main: Metafile; preload: Metafile }>;
}
interface StageApp {
  stageApp(options: { outDir: string; distDir: string }): { appDir: string; packages: string[] };
  rebuildOptions(options: { appDir: string; electronVersion: string; platform: string; arch: string }): { buildPath: string; projectRootPath: string };
  assertBuiltFor(appDir: string, abi: number): void;
}
interface Walker {
  modulesToRebuild: string[];
  nodeModulesPaths: Promise<string[]>;
  walkModules(): Promise<void>;
  findAllModulesIn(path: string): Promise<void>;
}

function load<T>(path: string): Promise<T> {
  return import(pathToFileURL(join(ROOT, path)).href) as Promise<T>;
}

function isUnder(file: string, dir: string): boolean {
  const rel = relative(realpathSync(dir), realpathSync(file));
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Bare specifiers the bundle leaves to require() at run time, per esbuild's metafile. */
function externals(metafile: Metafile): Set<string> {
  return new Set(Object.values(metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path)));
}

interface RequireCall {
  specifier: string | undefined;
  /** Inside the try block of a try statement, in the same function. */
  inTry: boolean;
}

/** Every require(...) call in a bundle, found with TypeScript's parser. */
function requireCalls(code: string): RequireCall[] {
  const file = ts.createSourceFile('bundle.cjs', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const calls: RequireCall[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      const [arg] = node.arguments;
      let inTry = false;
      for (let child: ts.Node = node, parent = node.parent; parent && !ts.isFunctionLike(parent); child = parent, parent = parent.parent) {
        if (ts.isTryStatement(parent) && parent.tryBlock === child) inTry = true;
      }
      calls.push({ specifier: arg && ts.isStringLiteral(arg) ? arg.text : undefined, inTry });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return calls;
}

describe('modules the packaged app loads', { timeout: 180_000 }, () => {
  // Inside the repo (like stage/app), so the rebuild check below sees the repo's node_modules above it.
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const tmp = mkdtempSync(join(ROOT, '.tmp', 'shipped-modules-'));
  const distDir = join(tmp, 'dist');
  let metafiles: { main: Metafile; preload: Metafile };
  let staged: { appDir: string; packages: string[] };
  let stage: StageApp;

  before(async () => {
    const { buildDesktop } = await load<BuildDesktop>('scripts/build-desktop.mjs');
    metafiles = await buildDesktop({ outDir: join(distDir, 'electron'), metafile: true });
    // The renderer is not what this test is about; the stage only needs its entry page.
    mkdirSync(join(distDir, 'renderer'), { recursive: true });
    writeFileSync(join(distDir, 'renderer', 'index.html'), '<!doctype html><title>CoachDesk</title>');
    stage = await load<StageApp>('scripts/stage-app.mjs');
    staged = stage.stageApp({ outDir: join(tmp, 'app'), distDir });
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('every module the bundles leave external is a builtin, electron, a guarded optional require, or staged', () => {
    const mainCode = readFileSync(join(distDir, 'electron', 'main.cjs'), 'utf8');
    const guarded = new Set(requireCalls(mainCode).filter((c) => c.inTry && c.specifier).map((c) => c.specifier!));
    const all = new Set([...externals(metafiles.main), ...externals(metafiles.preload)]);
    assert.ok(all.has('better-sqlite3') && all.has('electron'), `unexpected externals: ${[...all].join(', ')}`);
    const problems: string[] = [];
    for (const specifier of all) {
      if (isBuiltin(specifier) || specifier === 'electron') continue;
      if (OPTIONAL_REQUIRES.has(specifier)) {
        if (!guarded.has(specifier)) problems.push(`${specifier}: optional, but its require() is not inside a try block`);
        continue;
      }
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        problems.push(`${specifier}: a path left external`);
        continue;
      }
      try {
        const resolved = createRequire(join(staged.appDir, 'dist', 'electron', 'main.cjs')).resolve(specifier);
        if (!isUnder(resolved, staged.appDir)) problems.push(`${specifier}: resolves to ${resolved}, outside the staged app`);
      } catch {
        problems.push(`${specifier}: not resolvable from the staged app`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('the try/catch check can tell guarded from unguarded requires', () => {
    const calls = requireCalls('try { require("a"); } catch {} require("b"); try { (() => require("c"))(); } catch {}');
    assert.deepEqual(calls, [
      { specifier: 'a', inTry: true },
      { specifier: 'b', inTry: false },
      { specifier: 'c', inTry: false },
    ]);
  });

  test('the metafile misses nothing: every require() in the bundles names an external', () => {
    for (const [name, metafile] of Object.entries(metafiles)) {
      const code = readFileSync(join(distDir, 'electron', name === 'main' ? 'main.cjs' : 'preload.js'), 'utf8');
      const calls = requireCalls(code);
      assert.ok(calls.length > 0);
      assert.deepEqual(calls.filter((c) => c.specifier === undefined), [], `${name} has a require() with a computed argument`);
      const external = externals(metafile);
      assert.deepEqual([...new Set(calls.map((c) => c.specifier!))].filter((s) => !external.has(s)), []);
    }
  });

  test('the stage holds the runtime dependencies, their whole closure, and a runnable package.json', () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string> };
    const pkg = JSON.parse(readFileSync(join(staged.appDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(pkg.dependencies, root.dependencies);
    assert.equal(pkg.name, root.name);
    assert.equal(pkg.version, root.version);
    assert.equal(pkg.devDependencies, undefined);
    assert.ok(existsSync(join(staged.appDir, pkg.main as string)), `main ${pkg.main} is not staged`);
    for (const dep of Object.keys(root.dependencies)) assert.ok(existsSync(join(staged.appDir, 'node_modules', dep, 'package.json')), `${dep} is not staged`);
    for (const dep of ['bindings', 'file-uri-to-path']) assert.ok(staged.packages.includes(join('node_modules', dep)), `${dep} (needed by better-sqlite3) is not staged`);

    const missing: string[] = [];
    for (const rel of staged.packages) {
      const dir = join(staged.appDir, rel);
      const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const dep of Object.keys(meta.dependencies ?? {})) {
        try {
          const found = createRequire(join(dir, 'package.json')).resolve(`${dep}/package.json`);
          if (!isUnder(found, staged.appDir)) missing.push(`${rel} → ${dep} resolves outside the stage (${found})`);
        } catch {
          missing.push(`${rel} → ${dep} is not resolvable`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  test('nothing native built for Node ships: no .node files, no build/ output', () => {
    assert.deepEqual(filesUnder(staged.appDir).filter((f) => f.endsWith('.node')), []);
    const sqlite = join(staged.appDir, 'node_modules', 'better-sqlite3');
    assert.ok(!existsSync(join(sqlite, 'build')), 'better-sqlite3/build was staged');
    assert.ok(existsSync(join(sqlite, 'binding.gyp')), 'better-sqlite3 cannot be rebuilt without binding.gyp');
    // The working tree's copy is untouched: still there for the Node tests.
    assert.ok(existsSync(join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')));
  });

  test('the pack-time rebuild only reaches the staged better-sqlite3 (electron-builder’s own would reach the repo’s)', async () => {
    const builderDir = join(createRequire(join(ROOT, 'package.json')).resolve('app-builder-lib/package.json'), '..');
    const walkerFile = createRequire(join(builderDir, 'package.json')).resolve('@electron/rebuild').replace(/main\.js$/, 'module-walker.js');
    const { ModuleWalker } = (await import(pathToFileURL(walkerFile).href)) as { ModuleWalker: new (buildPath: string, projectRootPath: string, types: string[], prodDeps: Set<string>, only: null) => Walker };
    const walk = async (buildPath: string, projectRootPath: string): Promise<string[]> => {
      const walker = new ModuleWalker(buildPath, projectRootPath, ['prod', 'optional'], new Set(), null);
      await walker.walkModules();
      for (const dir of await walker.nodeModulesPaths) await walker.findAllModulesIn(dir);
      return walker.modulesToRebuild.filter((dir) => existsSync(join(dir, 'binding.gyp'))).map((dir) => realpathSync(dir));
    };
    const options = stage.rebuildOptions({ appDir: staged.appDir, electronVersion: '39.0.0', platform: process.platform, arch: process.arch });
    assert.deepEqual(await walk(options.buildPath, options.projectRootPath), [realpathSync(join(staged.appDir, 'node_modules', 'better-sqlite3'))]);
    // What electron-builder passes (projectRootPath = the project) also finds the working tree's copy.
    assert.ok((await walk(staged.appDir, ROOT)).includes(realpathSync(join(ROOT, 'node_modules', 'better-sqlite3'))));
  });

  test('the post-rebuild check rejects an addon built for another ABI', () => {
    const app = join(tmp, 'abi-check');
    const addon = join(app, 'node_modules', 'addon', 'build', 'Release');
    mkdirSync(addon, { recursive: true });
    writeFileSync(join(addon, 'sqlite-extension.node'), 'sqlite3_extension_init');
    assert.throws(() => stage.assertBuiltFor(app, 140), /no native addon/);
    writeFileSync(join(addon, 'addon.node'), '\0node_register_module_v115\0');
    assert.throws(() => stage.assertBuiltFor(app, 140), /ABI 115, not Electron's 140/);
    writeFileSync(join(addon, 'addon.node'), '\0node_register_module_v140\0');
    assert.doesNotThrow(() => stage.assertBuiltFor(app, 140));
  });
});
