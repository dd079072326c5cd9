import './setup.ts';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { act, fireEvent, screen, within } from '@testing-library/react';
import type { TraineeProgress } from '../../preload/api.ts';
import { hashToView, viewToHash } from '../../renderer/lib/routes.ts';
import { seededApi } from './fake-api.ts';
import { renderApp, settle, teardown } from './render.tsx';

afterEach(teardown);

// jsdom has no 2D canvas: the charts show their tables (what a screen reader gets on request).
const getContext = HTMLCanvasElement.prototype.getContext;
before(() => {
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof getContext;
});
after(() => {
  HTMLCanvasElement.prototype.getContext = getContext;
});

function benProgress(): TraineeProgress {
  const compliance = (days: number, sessions: number, previous: number, dropped: boolean) => ({
    days,
    sessionsDone: Math.round(sessions * 3),
    sessionsPlanned: 3,
    sessions,
    setsDone: 9,
    setsPrescribed: 12,
    sets: 0.75,
    previous: { sessionsDone: 3, sessionsPlanned: 3, sessions: previous, setsDone: 12, setsPrescribed: 12, sets: 1 },
    dropped,
  });
  return {
    traineeId: 't-ben',
    traineeName: 'Ben Okafor',
    units: 'kg',
    formula: 'epley',
    today: '2025-12-14',
    setCount: 42,
    series: [
      { exerciseId: 'ex-squat', exerciseName: 'Back squat', category: 'squat', dates: ['2025-11-17', '2025-11-24', '2025-12-01'], e1rm: [116.7, 115, 122.5], best: [116.7, 116.7, 122.5], reps: [5, 3, 5], load: [100, 104.5, 105], prs: [2] },
      { exerciseId: 'ex-bench', exerciseName: 'Bench press', category: 'push', dates: ['2025-11-19', '2025-11-26'], e1rm: [93.3, 95.7], best: [93.3, 95.7], reps: [5, 5], load: [80, 82], prs: [1] },
    ],
    best: [
      { exerciseId: 'ex-bench', exerciseName: 'Bench press', e1rm: 95.7, date: '2025-11-26', reps: 5, load: 82 },
      { exerciseId: 'ex-squat', exerciseName: 'Back squat', e1rm: 122.5, date: '2025-12-01', reps: 5, load: 105 },
    ],
    weekly: {
      weeks: ['2025-11-17', '2025-11-24', '2025-12-01', '2025-12-08'],
      total: { key: 'total', name: 'All exercises', volume: [2900, 2980, 1575, 0], hardSets: [8, 8, 3, 0] },
      exercises: [{ key: 'ex-squat', name: 'Back squat', volume: [1500, 1560, 1575, 0], hardSets: [4, 4, 3, 0] }],
      categories: [{ key: 'squat', name: 'squat', volume: [1500, 1560, 1575, 0], hardSets: [4, 4, 3, 0] }],
    },
    blocks: {
      weeks: 4,
      basis: 'program',
      programName: 'Strength block 1',
      blocks: [{ start: '2025-11-17', end: '2025-12-14', current: true }],
      rows: [{ kind: 'total', key: 'total', name: 'All exercises', volume: [7455], volumeChange: [null], hardSets: [19], hardSetsChange: [null] }],
    },
    compliance: [compliance(7, 0.67, 1, true), compliance(30, 0.9, 0.95, false), compliance(90, 0.9, 0, false)],
    drift: [{ exerciseId: 'ex-squat', exerciseName: 'Back squat', meanDiff: 0.8, sets: 9, sessions: 3, from: '2025-11-17', to: '2025-12-01' }],
  };
}

describe('progress view', () => {
  it('has its own address', () => {
    assert.equal(viewToHash({ name: 'progress', traineeId: 't-ben' }), '#/progress/t-ben');
    assert.deepEqual(hashToView('#/progress/t-ben'), { name: 'progress', traineeId: 't-ben' });
    assert.deepEqual(hashToView('#/progress'), { name: 'progress', traineeId: null });
  });

  it('opens from the roster: best e1RM per exercise with its date and set, the e1RM per session, PRs', async () => {
    const api = seededApi();
    api.progress.set('t-ben', benProgress());
    await renderApp(api);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Progress of Ben Okafor' })));
    await settle();
    assert.deepEqual(api.callsTo('getProgress'), [['t-ben']]);
    assert.ok(screen.getByRole('heading', { name: 'Progress', level: 1 }));
    assert.match(screen.getByText(/42 sets logged/).textContent ?? '', /Ben Okafor · 42 sets logged · e1RM by Epley, in kg/);

    const best = screen.getByRole('table', { name: 'Best e1RM per exercise' });
    const squat = within(best).getByRole('row', { name: 'Back squat' });
    assert.deepEqual(within(squat).getAllByRole('cell').map((c) => c.textContent), ['122.5 kg', 'Mon 1 Dec 2025', '5 × 105 kg']);

    // No canvas here: the chart is its table, no toggle needed.
    assert.equal(screen.queryByRole('button', { name: 'Show as table' }), null);
    const perSession = screen.getByRole('table', { name: 'Estimated 1RM of Back squat per session' });
    const rows = within(perSession).getAllByRole('row').slice(1).map((r) => within(r).getAllByRole('cell').map((c) => c.textContent));
    assert.deepEqual(rows, [
      ['Mon 17 Nov 2025', '116.7 kg', '116.7 kg', '5 × 100 kg', ''],
      ['Mon 24 Nov 2025', '115.0 kg', '116.7 kg', '3 × 104.5 kg', ''],
      ['Mon 1 Dec 2025', '122.5 kg', '122.5 kg', '5 × 105 kg', 'PR'],
    ]);
  });

  it('switches exercise without asking the host again', async () => {
    const api = seededApi();
    api.progress.set('t-ben', benProgress());
    await renderApp(api, { name: 'progress', traineeId: 't-ben' });
    const calls = api.callsTo('getProgress').length;
    fireEvent.change(screen.getByLabelText('Exercise'), { target: { value: 'ex-bench' } });
    assert.ok(screen.getByRole('table', { name: 'Estimated 1RM of Bench press per session' }));
    fireEvent.click(within(screen.getByRole('table', { name: 'Best e1RM per exercise' })).getByRole('button', { name: 'Chart Back squat' }));
    assert.ok(screen.getByRole('table', { name: 'Estimated 1RM of Back squat per session' }));
    fireEvent.change(screen.getByLabelText('Volume of'), { target: { value: 'ex:ex-squat' } });
    assert.ok(screen.getByRole('table', { name: 'Weekly volume and hard sets of Back squat' }));
    await settle();
    assert.equal(api.callsTo('getProgress').length, calls);
  });

  it('shows compliance with its drop, blocks, RPE drift and how each is computed', async () => {
    const api = seededApi();
    api.progress.set('t-ben', benProgress());
    await renderApp(api, { name: 'progress', traineeId: 't-ben' });
    const week = screen.getByRole('article', { name: 'Compliance, last 7 days' });
    assert.match(week.textContent ?? '', /67%↓ dropping/);
    assert.match(week.textContent ?? '', /previous 7 days: 100%/);
    assert.doesNotMatch(screen.getByRole('article', { name: 'Compliance, last 30 days' }).textContent ?? '', /dropping/);
    const blocks = screen.getByRole('table', { name: 'Volume and hard sets per block' });
    assert.match(blocks.textContent ?? '', /7,455 kg/);
    assert.match(blocks.textContent ?? '', /\(so far\)/);
    const drift = within(screen.getByRole('table', { name: 'RPE drift per exercise' })).getByRole('row', { name: 'Back squat' });
    assert.match(drift.textContent ?? '', /\+0\.8 \(harder than planned\)/);
    const help = screen.getByText('How these are computed').parentElement!;
    assert.match(help.textContent ?? '', /RPE 7 or more; when no RPE was logged, sets that reached their prescription’s reps/);
    assert.match(help.textContent ?? '', /4-week blocks ending this week/);
  });

  it('refetches when sets arrive; says when the client is gone', async () => {
    const api = seededApi();
    api.progress.set('t-ben', benProgress());
    await renderApp(api, { name: 'progress', traineeId: 't-ben' });
    const before = api.callsTo('getProgress').length;
    const next = benProgress();
    next.best[1]!.e1rm = 130;
    api.progress.set('t-ben', next);
    await act(async () => api.emit({ kind: 'data', entities: ['set_log'] }));
    await settle();
    assert.equal(api.callsTo('getProgress').length, before + 1);
    assert.ok(within(within(screen.getByRole('table', { name: 'Best e1RM per exercise' })).getByRole('row', { name: 'Back squat' })).getByText('130.0 kg'));
    api.progress.delete('t-ben');
    await act(async () => api.emit({ kind: 'data', entities: ['trainee'] }));
    await settle();
    assert.ok(screen.getByText('This client no longer exists.'));
  });

  it('the roster flags the window that dropped; Activity links to Progress; the formula is a setting', async () => {
    const api = seededApi();
    api.roster[1]!.complianceDrop = { days: 30, from: 1, to: 0.75 };
    await renderApp(api);
    const chloe = screen.getByRole('row', { name: /Chloe Martin/ });
    const flagged = within(chloe).getAllByRole('cell').filter((c) => c.textContent?.endsWith('↓'));
    assert.deepEqual(flagged.map((c) => [c.getAttribute('data-label'), c.textContent, c.getAttribute('title')]), [['30-day compliance', '75% ↓', 'Down from 100% in the 30 days before']]);

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Activity of Ben Okafor' })));
    await settle();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Progress' })));
    await settle();
    assert.deepEqual(api.callsTo('getProgress').at(-1), ['t-ben']);

    await act(async () => fireEvent.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('button', { name: 'Settings' })));
    await settle();
    fireEvent.change(screen.getByLabelText('Estimated 1RM formula'), { target: { value: 'brzycki' } });
    await settle();
    assert.deepEqual(api.callsTo('updateSettings').at(-1), [{ e1rmFormula: 'brzycki' }]);
  });
});
