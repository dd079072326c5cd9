// Bundles the Electron main process and the (sandboxed, so single-file) preload into dist/electron.
//   node scripts/build-desktop.mjs
// Also importable: buildDesktop({ outDir, metafile }) returns esbuild's metafiles (the shipped-modules test reads them).
import { build } from 'esbuild';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * What the main bundle leaves to require() at run time. bufferutil and utf-8-validate are optional
 * requires inside ws, wrapped in try/catch; better-sqlite3 is the native runtime dependency.
 */
export const MAIN_EXTERNALS = ['electron', 'better-sqlite3', 'bufferutil', 'utf-8-validate'];

export function desktopBuildOptions(outDir = join(ROOT, 'dist', 'electron')) {
  const common = { absWorkingDir: ROOT, bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning' };
  return {
    main: { ...common, entryPoints: ['main/electron/main.ts'], outfile: join(outDir, 'main.cjs'), external: MAIN_EXTERNALS },
    preload: { ...common, entryPoints: ['preload/preload.ts'], outfile: join(outDir, 'preload.js'), external: ['electron'] },
  };
}

export async function buildDesktop({ outDir = join(ROOT, 'dist', 'electron'), metafile = false } = {}) {
  const options = desktopBuildOptions(resolve(outDir));
  const [main, preload] = await Promise.all([build({ ...options.main, metafile }), build({ ...options.preload, metafile })]);
  return { main: main.metafile, preload: preload.metafile };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildDesktop();
  console.log('desktop main and preload built into dist/electron');
}
