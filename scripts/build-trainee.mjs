// Builds the trainee app (trainee/) into dist/trainee with esbuild, for the sync server to serve:
//   index.html                      no inline script or style (the server's CSP allows none)
//   app-<hash>.js, app-<hash>.css   the page (React, production build, minified)
//   worker-<hash>.js                the data worker (ES module): SQLite WebAssembly + the sync engine
//   sqlite3-<hash>.wasm             SQLite, copied from @sqlite.org/sqlite-wasm
//   sw.js                           the service worker (scope /), with the list of files to cache
//   manifest.webmanifest, icon-192.png, icon-512.png, icon-maskable-512.png (drawn here)
// Offline, in a few seconds. `--outdir DIR` builds elsewhere (tests). The folder is swapped in
// whole at the end, so a server serving the old build never sees half of the new one.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, deflateSync } from 'node:zlib';
import { build } from 'esbuild';

const started = Date.now();
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const outArg = argv.includes('--outdir') ? argv[argv.indexOf('--outdir') + 1] : undefined;
const outdir = resolve(outArg ?? join(ROOT, 'dist', 'trainee'));
const tmp = `${outdir}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

const hashOf = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 10);

try {
  // SQLite's WebAssembly, under a name that changes with its content (cached for good).
  const wasmSource = join(ROOT, 'node_modules/@sqlite.org/sqlite-wasm/dist/sqlite3.wasm');
  const wasmBytes = readFileSync(wasmSource);
  const wasmName = `sqlite3-${hashOf(wasmBytes)}.wasm`;
  copyFileSync(wasmSource, join(tmp, wasmName));

  const common = {
    bundle: true,
    minify: true,
    sourcemap: false,
    platform: 'browser',
    target: ['chrome111', 'safari16.4', 'firefox115'],
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    absWorkingDir: ROOT,
    define: { 'process.env.NODE_ENV': '"production"' },
  };

  const outputs = (meta) => Object.keys(meta.outputs).map((p) => relative(tmp, resolve(ROOT, p)));

  const worker = await build({
    ...common,
    entryPoints: { worker: 'trainee/worker/worker.ts' },
    outdir: tmp,
    entryNames: '[name]-[hash]',
    format: 'esm',
    define: { ...common.define, __SQLITE_WASM__: JSON.stringify(wasmName) },
  });
  const workerFile = outputs(worker.metafile).find((f) => f.endsWith('.js'));

  const app = await build({
    ...common,
    entryPoints: { app: 'trainee/app/main.tsx' },
    outdir: tmp,
    entryNames: '[name]-[hash]',
    format: 'esm',
    jsx: 'automatic',
    loader: { '.css': 'css' },
    define: { ...common.define, __WORKER_URL__: JSON.stringify(`/${workerFile}`) },
  });
  const appFiles = outputs(app.metafile);
  const appJs = appFiles.find((f) => f.endsWith('.js'));
  const appCss = appFiles.find((f) => f.endsWith('.css'));

  // Icons, drawn here (no image tools needed), and the manifest.
  writeFileSync(join(tmp, 'icon-192.png'), icon(192, false));
  writeFileSync(join(tmp, 'icon-512.png'), icon(512, false));
  writeFileSync(join(tmp, 'icon-maskable-512.png'), icon(512, true));
  copyFileSync(join(ROOT, 'trainee', 'manifest.webmanifest'), join(tmp, 'manifest.webmanifest'));

  writeFileSync(
    join(tmp, 'index.html'),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#0f5f5a">
<meta name="description" content="Your training program from your coach. Log your sets, even with no signal.">
<meta name="apple-mobile-web-app-capable" content="yes">
<title>CoachDesk</title>
<link rel="manifest" href="/manifest.webmanifest">
<link rel="icon" type="image/png" sizes="192x192" href="/icon-192.png">
<link rel="apple-touch-icon" href="/icon-192.png">
<link rel="stylesheet" href="/${appCss}">
<link rel="modulepreload" href="/${appJs}">
<script type="module" src="/${appJs}"></script>
</head>
<body>
<div id="root"></div>
<noscript>CoachDesk needs JavaScript.</noscript>
</body>
</html>
`,
  );

  // The service worker last: it lists every file above, and its version is their content.
  const shell = ['index.html', appJs, appCss, workerFile, wasmName, 'manifest.webmanifest', 'icon-192.png', 'icon-512.png', 'icon-maskable-512.png'];
  const version = hashOf(Buffer.concat(shell.map((f) => readFileSync(join(tmp, f)))));
  await build({
    ...common,
    entryPoints: ['trainee/sw.ts'],
    outfile: join(tmp, 'sw.js'),
    format: 'iife',
    metafile: false,
    define: { ...common.define, __PRECACHE__: JSON.stringify(shell.map((f) => `/${f}`)), __VERSION__: JSON.stringify(version) },
  });

  // Swap the new build in.
  const old = `${outdir}.old-${process.pid}`;
  mkdirSync(dirname(outdir), { recursive: true });
  if (existsSync(outdir)) renameSync(outdir, old);
  renameSync(tmp, outdir);
  rmSync(old, { recursive: true, force: true });

  const files = readdirSync(outdir);
  let bytes = 0;
  let gz = 0;
  for (const f of files) {
    const b = readFileSync(join(outdir, f));
    bytes += statSync(join(outdir, f)).size;
    gz += gzipSync(b, { level: 9 }).length;
  }
  const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
  console.log(`trainee app built into ${relative(process.cwd(), outdir) || '.'}: ${files.length} files, ${kb(bytes)} (${kb(gz)} gzip) in ${Date.now() - started} ms`);
} catch (error) {
  rmSync(tmp, { recursive: true, force: true });
  console.error(`building the trainee app failed: ${error.message}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// The app icon: a barbell on the brand colour, as an RGBA PNG.

function icon(size, maskable) {
  const BG = [0x0f, 0x5f, 0x5a];
  const WHITE = [0xff, 0xff, 0xff];
  const ACCENT = [0xe8, 0xa3, 0x3d];
  const roundRect = (x, y, x0, y0, x1, y1, r) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    const cx = Math.min(Math.max(x, x0 + r), x1 - r);
    const cy = Math.min(Math.max(y, y0 + r), y1 - r);
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  };
  // The barbell, in a unit square; a maskable icon keeps it inside the safe zone.
  const shapes = [
    { box: [0.12, 0.47, 0.88, 0.53, 0.015], color: WHITE },
    { box: [0.25, 0.27, 0.33, 0.73, 0.025], color: ACCENT },
    { box: [0.67, 0.27, 0.75, 0.73, 0.025], color: ACCENT },
    { box: [0.185, 0.34, 0.24, 0.66, 0.02], color: WHITE },
    { box: [0.76, 0.34, 0.815, 0.66, 0.02], color: WHITE },
  ];
  const scale = maskable ? 0.72 : 0.92;
  const N = 4;
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0;
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < N; sy++) {
        for (let sx = 0; sx < N; sx++) {
          const x = (px + (sx + 0.5) / N) / size;
          const y = (py + (sy + 0.5) / N) / size;
          const inBg = maskable || roundRect(x, y, 0, 0, 1, 1, 0.22);
          if (!inBg) continue;
          const ux = (x - 0.5) / scale + 0.5;
          const uy = (y - 0.5) / scale + 0.5;
          let c = BG;
          for (const s of shapes) if (roundRect(ux, uy, ...s.box)) c = s.color;
          r += c[0]; g += c[1]; b += c[2]; a += 255;
        }
      }
      const n = N * N;
      const o = py * (size * 4 + 1) + 1 + px * 4;
      const cov = a / 255;
      raw[o] = cov ? Math.round(r / cov) : 0;
      raw[o + 1] = cov ? Math.round(g / cov) : 0;
      raw[o + 2] = cov ? Math.round(b / cov) : 0;
      raw[o + 3] = Math.round(a / n);
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes) {
  let c = ~0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
