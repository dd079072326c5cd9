/** Polls `check` every `pollMs` until it holds; throws, naming `what`, after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs: number, pollMs: number): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
