import { test } from 'node:test';

/**
 * The steps of one scenario on one page: they run in order, and after a failed step the rest
 * are skipped (each needs the state the earlier ones left).
 */
export function scenario(skip: string | undefined): (name: string, timeout: number, run: () => Promise<void>) => void {
  let broken: string | undefined;
  return (name, timeout, run) => {
    test(name, { skip, timeout }, async (t) => {
      if (broken) return t.skip(`an earlier step failed: ${broken}`);
      try {
        await run();
      } catch (error) {
        broken = name;
        throw error;
      }
    });
  };
}
