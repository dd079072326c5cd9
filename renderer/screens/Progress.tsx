// A client's progress, as the host computed it from the local replica: e1RM per exercise over
// time with PRs, weekly volume and hard sets, block over block, compliance and RPE drift.
// Switching exercise or series is local: the host sends every series at once (compactly).
import { useMemo, useState } from 'react';
import type { BlockProgress, E1rmSeries, ProgressCompliance, TraineeProgress, Units, WeeklyProgress } from '../../preload/api.ts';
import { ClientPicker } from '../components/ClientSelect.tsx';
import { TimeChart, type ChartSeries } from '../components/TimeChart.tsx';
import { formatDate, formatPercent, plural } from '../lib/format.ts';
import { useActions, useApp } from '../store/context.tsx';

const e1rmText = (v: number, units: Units) => `${v.toFixed(1)} ${units}`;
const loadText = (v: number, units: Units) => `${Number.isInteger(v) ? v : v.toFixed(1)} ${units}`;
const volumeText = (v: number, units: Units) => `${Math.round(v).toLocaleString('en-GB')} ${units}`;
const changeText = (c: number | null) => (c === null ? '—' : `${c > 0 ? '+' : c < 0 ? '−' : '±'}${Math.abs(c).toFixed(1)} %`);
/** "Mon 17 Nov 2025": one formatter for the long tables (toLocaleDateString per row costs ~0.1 ms). */
const TABLE_DATE = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const tableDate = (isoDate: string) => TABLE_DATE.format(new Date(`${isoDate}T00:00:00Z`)).replace(',', '');
const FORMULA = { epley: 'Epley: load × (1 + reps/30)', brzycki: 'Brzycki: load × 36 / (37 − reps)' } as const;

export function Progress() {
  const roster = useApp((s) => s.roster.items);
  const progress = useApp((s) => s.progress);
  const { navigate } = useActions();
  const data = progress.data;

  return (
    <main className="screen progress-screen" aria-labelledby="progress-title">
      <header className="screen-header">
        <div>
          <h1 id="progress-title">Progress</h1>
          <p className="muted">
            {data
              ? `${data.traineeName} · ${plural(data.setCount, 'set')} logged · e1RM by ${data.formula === 'epley' ? 'Epley' : 'Brzycki'}, in ${data.units}`
              : 'What the last block did, from the sets logged on this computer.'}
          </p>
        </div>
        <div className="toolbar">
          <ClientPicker roster={roster} value={progress.traineeId} onChange={(traineeId) => navigate({ name: 'progress', traineeId })} ariaLabel="Client" />
          {progress.traineeId && (
            <button type="button" onClick={() => navigate({ name: 'activity', traineeId: progress.traineeId })}>
              Activity
            </button>
          )}
        </div>
      </header>

      {!progress.traineeId && <div className="empty-state">Choose a client to see their progress.</div>}
      {progress.traineeId && !progress.loaded && <div className="empty-state muted">Reading the logs…</div>}
      {progress.traineeId && progress.loaded && !data && <div className="empty-state">This client no longer exists.</div>}
      {data && <ProgressBody key={data.traineeId} data={data} />}
    </main>
  );
}

function ProgressBody({ data }: { data: TraineeProgress }) {
  return (
    <>
      <E1rmSection data={data} />
      <ComplianceSection compliance={data.compliance} />
      <VolumeSection weekly={data.weekly} units={data.units} />
      <BlocksSection blocks={data.blocks} units={data.units} />
      <DriftSection data={data} />
      <HelpText data={data} />
    </>
  );
}

function E1rmSection({ data }: { data: TraineeProgress }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const series = data.series.find((s) => s.exerciseId === chosen) ?? data.series[0] ?? null;
  const units = data.units;
  return (
    <section className="card progress-card" aria-labelledby="e1rm-title">
      <header className="progress-card-header">
        <h2 id="e1rm-title">Estimated 1RM</h2>
        {series && (
          <label className="inline-field">
            <span>Exercise</span>
            <select aria-label="Exercise" value={series.exerciseId} onChange={(e) => setChosen(e.target.value)}>
              {data.series.map((s) => (
                <option key={s.exerciseId} value={s.exerciseId}>
                  {s.exerciseName}
                </option>
              ))}
            </select>
          </label>
        )}
      </header>
      {!series ? (
        <p className="empty">No sets of 1–12 reps with a load logged yet.</p>
      ) : (
        <div className="e1rm-layout">
          <E1rmChart series={series} units={units} />
          <table className="table best-table" aria-label="Best e1RM per exercise">
            <thead>
              <tr>
                <th scope="col">Exercise</th>
                <th scope="col" className="num">
                  Best e1RM
                </th>
                <th scope="col">Date</th>
                <th scope="col">From the set</th>
              </tr>
            </thead>
            <tbody>
              {data.best.map((b) => (
                <tr key={b.exerciseId} className={b.exerciseId === series.exerciseId ? 'selected' : undefined} aria-label={b.exerciseName}>
                  <th scope="row">
                    <button type="button" className="link" onClick={() => setChosen(b.exerciseId)} aria-label={`Chart ${b.exerciseName}`}>
                      {b.exerciseName}
                    </button>
                  </th>
                  <td className="num strong" data-label="Best e1RM">
                    {e1rmText(b.e1rm, units)}
                  </td>
                  <td>{formatDate(b.date)}</td>
                  <td className="muted">
                    {b.reps} × {loadText(b.load, units)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function E1rmChart({ series, units }: { series: E1rmSeries; units: Units }) {
  const chart = useMemo(() => {
    const prs = new Set(series.prs);
    const lines: ChartSeries[] = [
      { label: 'e1RM', values: series.e1rm, color: '#2e63c9', kind: 'line', format: (v) => e1rmText(v, units) },
      { label: 'Best so far', values: series.best, color: '#1e7d46', kind: 'step', format: (v) => e1rmText(v, units) },
      { label: 'PR', values: series.e1rm.map((v, i) => (prs.has(i) ? v : null)), color: '#a35a07', kind: 'points', format: (v) => e1rmText(v, units) },
    ];
    return lines;
  }, [series, units]);
  const last = series.e1rm.length - 1;
  return (
    <div className="e1rm-chart">
      <p className="muted small chart-caption">
        {series.exerciseName}: {plural(series.dates.length, 'session')}, {plural(series.prs.length, 'PR')}
        {last >= 0 && ` · last ${e1rmText(series.e1rm[last]!, units)} on ${formatDate(series.dates[last]!)}`}
      </p>
      <TimeChart
        testId="e1rm-chart"
        label={`Estimated 1RM of ${series.exerciseName} per session, with the best so far and PRs marked`}
        dates={series.dates}
        series={chart}
        leftAxis={`e1RM (${units})`}
        table={() => (
          <table className="table compact" aria-label={`Estimated 1RM of ${series.exerciseName} per session`}>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col" className="num">
                  e1RM
                </th>
                <th scope="col" className="num">
                  Best so far
                </th>
                <th scope="col">Best set</th>
                <th scope="col">PR</th>
              </tr>
            </thead>
            <tbody>
              {series.dates.map((d, i) => (
                <tr key={`${d}-${i}`}>
                  <td>{tableDate(d)}</td>
                  <td className="num">{e1rmText(series.e1rm[i]!, units)}</td>
                  <td className="num">{e1rmText(series.best[i]!, units)}</td>
                  <td>
                    {series.reps[i]} × {loadText(series.load[i]!, units)}
                  </td>
                  <td>{series.prs.includes(i) ? 'PR' : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      />
    </div>
  );
}

function ComplianceSection({ compliance }: { compliance: ProgressCompliance[] }) {
  return (
    <section className="progress-tiles" aria-label="Compliance">
      {compliance.map((c) => (
        <article key={c.days} className={`card tile${c.dropped ? ' tile-warn' : ''}`} aria-label={`Compliance, last ${c.days} days`}>
          <h3 className="muted small">Last {c.days} days</h3>
          <div className="tile-figure">
            {formatPercent(c.sessions)}
            {c.dropped && (
              <span className="chip chip-warn" title={`Down from ${formatPercent(c.previous.sessions)} in the ${c.days} days before`}>
                ↓ dropping
              </span>
            )}
          </div>
          <p className="small">
            {c.sessionsDone} of {plural(c.sessionsPlanned, 'planned session')} · sets {c.setsDone}/{c.setsPrescribed} ({formatPercent(c.sets)})
          </p>
          <p className="muted small">previous {c.days} days: {formatPercent(c.previous.sessions)}</p>
        </article>
      ))}
    </section>
  );
}

function VolumeSection({ weekly, units }: { weekly: WeeklyProgress; units: Units }) {
  const options = useMemo(() => [weekly.total, ...weekly.categories.map((c) => ({ ...c, key: `cat:${c.key}` })), ...weekly.exercises.map((e) => ({ ...e, key: `ex:${e.key}` }))], [weekly]);
  const [key, setKey] = useState('total');
  const chosen = options.find((o) => o.key === key) ?? options[0]!;
  const chart = useMemo<ChartSeries[]>(
    () => [
      { label: 'Volume', values: chosen.volume, color: '#2e63c9', kind: 'bars', format: (v) => volumeText(v, units) },
      { label: 'Hard sets', values: chosen.hardSets, color: '#a35a07', kind: 'line', axis: 'right', format: (v) => String(v) },
    ],
    [chosen, units],
  );
  if (weekly.weeks.length === 0) return null;
  return (
    <section className="card progress-card" aria-labelledby="volume-title">
      <header className="progress-card-header">
        <h2 id="volume-title">Weekly volume and hard sets</h2>
        <label className="inline-field">
          <span>Of</span>
          <select aria-label="Volume of" value={chosen.key} onChange={(e) => setKey(e.target.value)}>
            <option value="total">All exercises</option>
            {weekly.categories.length > 0 && (
              <optgroup label="Categories">
                {weekly.categories.map((c) => (
                  <option key={c.key} value={`cat:${c.key}`}>
                    {c.name}
                  </option>
                ))}
              </optgroup>
            )}
            <optgroup label="Exercises">
              {weekly.exercises.map((e) => (
                <option key={e.key} value={`ex:${e.key}`}>
                  {e.name}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
      </header>
      <TimeChart
        testId="volume-chart"
        deferred
        label={`Weekly volume (reps × load) and hard sets of ${chosen.name}`}
        dates={weekly.weeks}
        series={chart}
        height={220}
        leftAxis={`volume (${units})`}
        rightAxis="hard sets"
        table={() => (
          <table className="table compact" aria-label={`Weekly volume and hard sets of ${chosen.name}`}>
            <thead>
              <tr>
                <th scope="col">Week of</th>
                <th scope="col" className="num">
                  Volume
                </th>
                <th scope="col" className="num">
                  Hard sets
                </th>
              </tr>
            </thead>
            <tbody>
              {weekly.weeks.map((w, i) => (
                <tr key={w}>
                  <td>{tableDate(w)}</td>
                  <td className="num">{volumeText(chosen.volume[i]!, units)}</td>
                  <td className="num">{chosen.hardSets[i]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      />
    </section>
  );
}

const SHOWN_BLOCKS = 4;

function BlocksSection({ blocks, units }: { blocks: BlockProgress; units: Units }) {
  if (blocks.blocks.length === 0) return null;
  const from = Math.max(0, blocks.blocks.length - SHOWN_BLOCKS);
  const shown = blocks.blocks.slice(from);
  const basis = blocks.basis === 'program' ? `blocks of ${plural(blocks.weeks, 'week')}, the length of ${blocks.programName ?? 'the program'}, from its start` : '4-week blocks ending this week (no program with a start date)';
  return (
    <section className="card progress-card" aria-labelledby="blocks-title">
      <header className="progress-card-header">
        <h2 id="blocks-title">Block over block</h2>
        <span className="muted small">{basis}</span>
      </header>
      <div className="table-scroll">
        <table className="table compact blocks-table" aria-label="Volume and hard sets per block">
          <thead>
            <tr>
              <th scope="col">Volume · hard sets</th>
              {shown.map((b) => (
                <th key={b.start} scope="col" className="num">
                  {formatDate(b.start)} – {formatDate(b.end)}
                  {b.current && ' (so far)'}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {blocks.rows.map((row) => (
              <tr key={`${row.kind}:${row.key}`} className={`block-${row.kind}`}>
                <th scope="row">{row.name}</th>
                {shown.map((b, j) => {
                  const i = from + j;
                  return (
                    <td key={b.start} className="num">
                      <div>
                        {volumeText(row.volume[i]!, units)} <span className={`change ${tone(row.volumeChange[i] ?? null)}`}>{changeText(row.volumeChange[i] ?? null)}</span>
                      </div>
                      <div className="muted small">
                        {plural(row.hardSets[i]!, 'hard set')} <span className={`change ${tone(row.hardSetsChange[i] ?? null)}`}>{changeText(row.hardSetsChange[i] ?? null)}</span>
                      </div>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const tone = (c: number | null) => (c === null ? 'muted' : c > 0 ? 'up' : c < 0 ? 'down' : 'muted');

function DriftSection({ data }: { data: TraineeProgress }) {
  return (
    <section className="card progress-card" aria-labelledby="drift-title">
      <header className="progress-card-header">
        <h2 id="drift-title">RPE drift</h2>
        <span className="muted small">logged RPE − prescribed RPE, over each exercise’s last 6 sessions with both</span>
      </header>
      {data.drift.length === 0 ? (
        <p className="empty">No sets logged with an RPE against a prescription with one.</p>
      ) : (
        <table className="table compact" aria-label="RPE drift per exercise">
          <thead>
            <tr>
              <th scope="col">Exercise</th>
              <th scope="col" className="num">
                Mean difference
              </th>
              <th scope="col">Over</th>
            </tr>
          </thead>
          <tbody>
            {data.drift.map((d) => (
              <tr key={d.exerciseId} aria-label={d.exerciseName}>
                <th scope="row">{d.exerciseName}</th>
                <td className={`num ${Math.abs(d.meanDiff) >= 1 ? 'warn' : ''}`} data-label="Mean difference">
                  {d.meanDiff > 0 ? '+' : d.meanDiff < 0 ? '−' : '±'}
                  {Math.abs(d.meanDiff).toFixed(1)} {d.meanDiff > 0 ? '(harder than planned)' : d.meanDiff < 0 ? '(easier than planned)' : ''}
                </td>
                <td className="muted">
                  {plural(d.sets, 'set')} in {plural(d.sessions, 'session')}, {formatDate(d.from)} – {formatDate(d.to)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function HelpText({ data }: { data: TraineeProgress }) {
  return (
    <details className="card help-text">
      <summary>How these are computed</summary>
      <ul>
        <li>
          <strong>Estimated 1RM</strong>: {FORMULA[data.formula]} (change it in Settings), from done sets of 1 to 12 reps with a load in kg or lb; per session the best set. A
          PR is a session whose best beats every earlier session (the first one is the baseline). Loads logged in the other unit are converted; one decimal.
        </li>
        <li>
          <strong>Volume</strong>: Σ reps × load of done sets per week (weeks start as in Settings), per exercise and per category. Bodyweight sets add no volume.
        </li>
        <li>
          <strong>Hard sets</strong>: done sets logged at RPE 7 or more; when no RPE was logged, sets that reached their prescription’s reps (the low end of a range,
          any reps for AMRAP). Sets without either are not counted.
        </li>
        <li>
          <strong>Blocks</strong>: as long as the current program (its weeks, counted from its start date); without a program, 4-week blocks ending this week. The change
          is against the block before; the current block is shown so far.
        </li>
        <li>
          <strong>Compliance</strong>: completed sessions / workouts planned on their dates (from the program’s start date), and done prescribed sets / prescribed sets,
          over the last 7, 30 and 90 days. Flagged when sessions done / planned falls 20 points or more against the period of the same length before; the client list
          shows the flag for 7 and 30 days.
        </li>
        <li>
          <strong>RPE drift</strong>: the mean of logged RPE − the prescription’s RPE over the exercise’s last 6 sessions with both; above 0 the sets felt harder than
          planned.
        </li>
      </ul>
    </details>
  );
}
