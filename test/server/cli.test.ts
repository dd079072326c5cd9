// The server's command line: bad usage is named and exits 2, before anything is opened or served.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../helpers.ts';
import { runServerCli, sleep, spawnTs } from '../e2e/support.ts';

const tmp = tempDir('coachdesk-server-cli-');
after(() => tmp.cleanup());

describe('server CLI', () => {
  test('each mistake is named and exits 2, and no database is created', async () => {
    const db = join(tmp.dir, 'sync.db');
    const cases: Array<{ args: string[]; message: RegExp }> = [
      { args: ['serve'], message: /--db FILE or --postgres URL is required/ },
      { args: ['frobnicate', '--db', db], message: /unknown command "frobnicate"/ },
      { args: ['serve', '--db', db, '--port', '99999'], message: /--port must be 0\.\.65535, not 99999/ },
      { args: ['serve', '--db', db, '--max-buffered-mb', '0'], message: /--max-buffered-mb must be a number of megabytes, 1 or more, not "0"/ },
      { args: ['serve', '--db', db, '--max-buffered-mb', '0.5'], message: /--max-buffered-mb must be a number of megabytes, 1 or more, not "0.5"/ },
      { args: ['serve', '--db', db, '--max-buffered-mb', 'lots'], message: /--max-buffered-mb must be a number of megabytes, 1 or more, not "lots"/ },
      { args: ['serve', '--db', db, '--max-buffered-total-mb=-5'], message: /--max-buffered-total-mb must be a number of megabytes, 1 or more, not "-5"/ },
      { args: ['serve', '--db', db, '--bogus'], message: /bogus/ },
    ];
    const results = await Promise.all(cases.map((c) => runServerCli(c.args)));
    results.forEach((r, i) => {
      const c = cases[i]!;
      assert.equal(r.code, 2, `${c.args.join(' ')} exited ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, c.message, c.args.join(' '));
    });
    assert.equal(existsSync(db), false);
  });

  test('serve takes the bounds on unsent bytes, and says which it runs with', async () => {
    const serve = (extra: string[]) => spawnTs('server/cli.ts', ['serve', '--db', join(tmp.dir, `bounds-${extra.length}.db`), '--port', '0', ...extra]);
    const said = async (child: ReturnType<typeof spawnTs>) => {
      for (let i = 0; i < 300 && !/dropped past/.test(child.stderr()); i++) await sleep(50);
      await child.kill9();
      return child.stderr().trim();
    };
    const [given, defaults] = await Promise.all([said(serve(['--max-buffered-mb', '2.5', '--max-buffered-total-mb', '64'])), said(serve([]))]);
    assert.match(given, /dropped past 2\.5 MiB unsent each, 64 MiB in all/);
    assert.match(defaults, /dropped past 16 MiB unsent each, 256 MiB in all/);
  });
});
