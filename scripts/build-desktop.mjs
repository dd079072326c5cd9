// Bundles the Electron main process and the (sandboxed, so single-file) preload into dist/electron.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning' };
await build({
  ...common,
  entryPoints: ['main/electron/main.ts'],
  outfile: 'dist/electron/main.cjs',
  external: ['electron', 'better-sqlite3', 'bufferutil', 'utf-8-validate'],
});
await build({ ...common, entryPoints: ['preload/preload.ts'], outfile: 'dist/electron/preload.js', external: ['electron'] });
console.log('desktop main and preload built into dist/electron');
