// Bundles the renderer (React + zustand) into dist/renderer with esbuild: index.html, app.js, app.css.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const outdir = 'dist/renderer';
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: { app: 'renderer/main.tsx' },
  bundle: true,
  outdir,
  format: 'iife',
  platform: 'browser',
  target: ['chrome120'],
  jsx: 'automatic',
  minify: process.argv.includes('--minify'),
  sourcemap: true,
  loader: { '.css': 'css' },
  define: { 'process.env.NODE_ENV': JSON.stringify(process.argv.includes('--dev') ? 'development' : 'production') },
  logLevel: 'warning',
});
copyFileSync('renderer/index.html', `${outdir}/index.html`);
console.log(`renderer built into ${outdir}`);
