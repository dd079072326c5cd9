// The deterministic simulation, as CI runs it: a few hundred seeded schedules of edits and
// faults with the invariants checked after each, and the same seeds giving the same traces.
// It runs in a process of its own: the simulation replaces time, timers and randomness.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runTs } from '../e2e/support.ts';

const simulate = (args: string[]) => runTs('sim/simulate.ts', args, 240_000);

describe('deterministic simulation', () => {
  test('200 schedules with faults: nothing lost, nothing applied twice, every invariant holds', async () => {
    const out = await simulate(['--schedules', '200', '--seed', '1']);
    assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`);
    assert.match(out.stdout, /200 schedules .*: \d+ ops, 0 lost, 0 applied twice/);
    for (const fault of ['cut', 'lost answers', 'duplicate push', 'server crash after commit', 'client restart', 'offline window', 'late frames delivered']) {
      assert.match(out.stdout, new RegExp(`[1-9]\\d* ${fault}`), `the run injected ${fault}`);
    }
  });

  test('the same seeds give the same schedules, byte for byte', async () => {
    const [a, b] = await Promise.all([simulate(['--schedules', '15', '--seed', '4242']), simulate(['--schedules', '15', '--seed', '4242'])]);
    assert.equal(a.code, 0, a.stderr);
    const digest = (s: string) => /trace digest (\w+)/.exec(s)?.[1];
    assert.ok(digest(a.stdout));
    assert.equal(digest(a.stdout), digest(b.stdout));
    const other = await simulate(['--schedules', '15', '--seed', '4243']);
    assert.notEqual(digest(other.stdout), digest(a.stdout), 'another seed, another schedule');
  });

  test('bad arguments are refused with a message', async () => {
    const out = await simulate(['--schedules', 'many']);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /--schedules must be a whole number/);
  });
});
