// Exports from the page: files the host made (a program's PDF, CSVs) saved as downloads, and the
// program's printable HTML printed from a hidden frame. Both stay inside the page's CSP: a blob:
// link is a download, not a load, and the frame is srcdoc with its stylesheet adopted through the
// CSSOM (inline <style> is not allowed here, script-made style sheets are).
import { memo, useState } from 'react';
import type { ExportFile } from '../../../preload/api.ts';
import { messageOf } from '../../store/app-store.ts';
import { useActions } from '../../store/context.tsx';

/** Saves a file the host made as a download named as it says. */
export function saveFile(file: ExportFile): void {
  const binary = atob(file.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: file.mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Prints a whole HTML document (its <style> included) from a hidden frame, then removes the frame. */
export function printHtml(html: string): HTMLIFrameElement {
  // The stylesheet is taken out as text before anything parses the document: even a DOMParser
  // document reports its <style> to the page's CSP. (The host's HTML has no </style> but its own.)
  const css: string[] = [];
  const body = html.replace(/<style[^>]*>([\s\S]*?)<\/style>/gi, (_all, text: string) => {
    css.push(text);
    return '';
  });
  const doc = new DOMParser().parseFromString(body, 'text/html');
  for (const el of doc.querySelectorAll('script, link, style')) el.remove();
  const frame = document.createElement('iframe');
  frame.title = 'Print';
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  Object.assign(frame.style, { position: 'fixed', right: '0', bottom: '0', width: '0', height: '0', border: '0', visibility: 'hidden' });
  frame.srcdoc = `<!doctype html>${doc.documentElement.outerHTML}`;
  frame.addEventListener('load', () => {
    const win = frame.contentWindow;
    if (!win) return;
    const sheet = new (win as Window & typeof globalThis).CSSStyleSheet();
    sheet.replaceSync(css.join('\n'));
    win.document.adoptedStyleSheets = [sheet];
    win.addEventListener('afterprint', () => setTimeout(() => frame.remove(), 0));
    win.focus();
    win.print();
  });
  document.body.append(frame);
  return frame;
}

/**
 * A button that asks the host for something and hands the answer on, busy meanwhile; a failure is
 * the app's error notice.
 */
export function ExportButton<T>({ label, busyLabel, run, done, className }: { label: string; busyLabel: string; run: () => Promise<T>; done: (value: T) => void; className?: string }) {
  const actions = useActions();
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className={className}
      disabled={busy}
      aria-busy={busy}
      onClick={() => {
        setBusy(true);
        run()
          .then(done, (error: unknown) => actions.notify(messageOf(error), 'error'))
          .finally(() => setBusy(false));
      }}
    >
      {busy ? busyLabel : label}
    </button>
  );
}

/** The builder's Export PDF, Print and Export CSV (memoised: an edit to the program leaves them as they are). */
export const ProgramExports = memo(function ProgramExports({ programId }: { programId: string }) {
  const { api } = useActions();
  return (
    <div className="segmented" role="group" aria-label="Export">
      <ExportButton label="Export PDF" busyLabel="Making PDF…" run={() => api.exportProgramPdf(programId)} done={saveFile} />
      <ExportButton label="Print" busyLabel="Preparing…" run={() => api.getProgramPrintHtml(programId)} done={(html) => void printHtml(html)} />
      <ExportButton label="Export CSV" busyLabel="Exporting…" run={() => api.exportProgramCsv(programId)} done={saveFile} />
    </div>
  );
});
