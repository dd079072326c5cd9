import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserWindow } from 'electron';
import type { PdfPrinter } from '../desktop/pdf-chromium.ts';

/**
 * The desktop app's PDFs: the HTML (from a temporary file) in a hidden window that runs no
 * script and has no preload, printed by Electron's own printToPDF with the document's CSS page
 * size and margin boxes (its page numbers), then the window is destroyed.
 */
export function electronPrinter(): PdfPrinter {
  return async (html) => {
    const dir = await mkdtemp(join(tmpdir(), 'coachdesk-pdf-'));
    const win = new BrowserWindow({
      show: false,
      webPreferences: { javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, backgroundThrottling: false },
    });
    try {
      const file = join(dir, 'program.html');
      await writeFile(file, html, 'utf8');
      await win.loadFile(file);
      return await win.webContents.printToPDF({ pageSize: 'A4', printBackground: true, preferCSSPageSize: true, displayHeaderFooter: false });
    } finally {
      win.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  };
}
