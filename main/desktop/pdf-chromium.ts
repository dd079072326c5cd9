// HTML to PDF with the machine's own Chromium, headless: how the host makes a program's PDF when
// it runs without Electron (the web shell). The desktop app uses Electron's printToPDF instead
// (main/electron/pdf-electron.ts); both print the same HTML with its CSS page rules.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Turns a complete HTML document into PDF bytes. */
export type PdfPrinter = (html: string) => Promise<Buffer>;

/** A printer that cannot print: the message is for the coach. */
export class PdfUnavailable extends Error {}

const CANDIDATES: Record<string, string[]> = {
  linux: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'],
  darwin: ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge'],
  win32: [
    `${process.env.PROGRAMFILES ?? 'C:\\Program Files'}\\Google\\Chrome\\Application\\chrome.exe`,
    `${process.env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)'}\\Google\\Chrome\\Application\\chrome.exe`,
    `${process.env.LOCALAPPDATA ?? ''}\\Google\\Chrome\\Application\\chrome.exe`,
    `${process.env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)'}\\Microsoft\\Edge\\Application\\msedge.exe`,
  ],
};

/** CHROMIUM_PATH if set, else the first Chromium, Chrome or Edge where this platform installs it. */
export function findChromium(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): string | null {
  if (env.CHROMIUM_PATH) return existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : null;
  return (CANDIDATES[platform] ?? []).find((p) => existsSync(p)) ?? null;
}

/**
 * The switches: headless, no sandbox (it would need a setuid helper or user namespaces), nothing
 * that reaches the network, and no browser header or footer on the pages (the document prints its
 * own). `--no-pdf-header-footer` is today's name; `--print-to-pdf-no-header` the one before
 * Chromium 111; an unknown switch is ignored, so both are given.
 */
export function chromiumPdfArgs(htmlFile: string, pdfFile: string, profileDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--mute-audio',
    `--user-data-dir=${profileDir}`,
    '--no-pdf-header-footer',
    '--print-to-pdf-no-header',
    `--print-to-pdf=${pdfFile}`,
    pathToFileURL(htmlFile).href,
  ];
}

const TIMEOUT_MS = 60_000;

/**
 * Prints with headless Chromium: the HTML to a temporary file, Chromium prints it to a PDF beside
 * it (its own throwaway profile, so it never meets a running browser's), the bytes are read and
 * the folder removed. A missing browser, a crash, a timeout or no PDF is a PdfUnavailable.
 */
export function chromiumPrinter(options: { executable?: () => string | null; timeoutMs?: number } = {}): PdfPrinter {
  return async (html) => {
    const executable = (options.executable ?? findChromium)();
    if (!executable) {
      throw new PdfUnavailable('CoachDesk needs Chromium or Google Chrome to make a PDF here, and found neither (install Chromium, or set CHROMIUM_PATH to its program)');
    }
    const dir = await mkdtemp(join(tmpdir(), 'coachdesk-pdf-'));
    try {
      const htmlFile = join(dir, 'program.html');
      const pdfFile = join(dir, 'program.pdf');
      await writeFile(htmlFile, html, 'utf8');
      const result = await run(executable, chromiumPdfArgs(htmlFile, pdfFile, join(dir, 'profile')), options.timeoutMs ?? TIMEOUT_MS);
      let pdf: Buffer;
      try {
        pdf = await readFile(pdfFile);
      } catch {
        throw new PdfUnavailable(`Chromium (${executable}) made no PDF${result ? `: ${result}` : ''}`);
      }
      if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new PdfUnavailable(`Chromium (${executable}) wrote something that is not a PDF`);
      return pdf;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/** Runs Chromium to its end; resolves with why it failed (its last lines), or '' when it exited 0. */
function run(executable: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new PdfUnavailable(`Chromium (${executable}) took more than ${timeoutMs / 1000} s to make the PDF`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new PdfUnavailable(`Chromium (${executable}) could not be started: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) return resolve('');
      const last = stderr
        .split('\n')
        .filter((l) => l.trim() && !/dbus|Fontconfig/i.test(l))
        .slice(-2)
        .join(' ');
      resolve(`it exited with ${code}${last ? ` (${last.slice(0, 300)})` : ''}`);
    });
  });
}
