// A program on paper: one HTML document with its print stylesheet inline, which Chromium turns
// into an A4 PDF (Electron's printToPDF on the desktop, headless Chromium for the web shell) and
// the page prints as it is. Pure: the program, the names and the settings in, HTML out; every
// value from the coach's data is escaped.
import { daysInWeekOrder, DAY_NAMES, plannedDate } from '../../protocol/calendar.ts';
import { convertLoad, DEFAULT_PLATE_INCREMENT, displayLoad, isUnits, roundTo, type Units } from '../../domain/units.ts';
import type { Prescription, ProgramDetail, SchemePart, Settings, Workout } from '../../preload/api.ts';

export interface PrintOptions {
  /** The coach's name (Settings' display name), if set. */
  coachName: string | null;
  /** The client's name; null for a template. */
  clientName: string | null;
  settings: Pick<Settings, 'units' | 'plateIncrement' | 'weekStartsOn'>;
  /** The day the document is made, YYYY-MM-DD. */
  today: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML: nothing in it can open a tag, end an attribute or start an entity. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A CSS string literal (for the page's margin boxes) that no text can break out of, nor out of <style>. */
export function cssString(text: string): string {
  return `"${text.replace(/[\\"<>&\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `)}"`;
}

const n = (v: number) => String(Math.round(v * 100) / 100);

/** "17 Nov 2025". */
function longDate(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** "Mon 17 Nov". */
function shortDate(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).replace(',', '');
}

/** A load as the coach reads it: kg and lb in their units; a %1RM as what it comes to for this client, with the percentage beside it. */
export function loadText(rx: Pick<Prescription, 'load' | 'loadUnit' | 'percentOf'>, units: Units, plateIncrement: number | null): { main: string; sub: string | null } {
  if (rx.load === null) return { main: '', sub: null };
  if (rx.loadUnit === '%1rm') {
    const pct = `${n(rx.load)}% 1RM`;
    const max = rx.percentOf;
    if (!max) return { main: pct, sub: null };
    const value = roundTo((convertLoad(max.value, max.unit, units) * rx.load) / 100, plateIncrement ?? DEFAULT_PLATE_INCREMENT[units]);
    return { main: `${n(value)} ${units}`, sub: `${pct} of ${max.kind === 'tm' ? 'TM' : '1RM'} ${n(max.value)} ${max.unit}` };
  }
  if (isUnits(rx.loadUnit)) {
    const shown = displayLoad(rx.load, rx.loadUnit, units);
    return { main: `${n(shown.value)} ${shown.unit}`, sub: null };
  }
  return { main: n(rx.load), sub: null };
}

const PART_NAMES: Record<SchemePart['part'], string> = { warmup: 'Warm-up', top: 'Top set', backoff: 'Back-off', drop: 'Drop set', work: 'Work' };

function schemeText(scheme: SchemePart[], rx: Prescription, units: Units, plate: number | null): string {
  return scheme
    .map((p) => {
      let load = '';
      if (p.load !== null && p.load !== undefined) {
        if (p.loadUnit === '%top') load = `${n(p.load)}% of top`;
        else load = loadText({ load: p.load, loadUnit: (p.loadUnit ?? null) as Prescription['loadUnit'], percentOf: rx.percentOf }, units, plate).main;
      }
      const at = [load, p.rpe ? `RPE ${n(p.rpe)}` : ''].filter(Boolean).join(' ');
      return `${PART_NAMES[p.part]} ${p.sets}×${p.reps}${at ? ` @ ${at}` : ''}`;
    })
    .join(' · ');
}

const amount = (rx: Prescription) => (rx.kind === 'time' ? `${rx.reps} s` : rx.kind === 'distance' ? `${rx.reps} m` : rx.reps);

function rest(sec: number | null): string {
  if (sec === null) return '';
  return sec >= 60 ? `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}` : `${sec} s`;
}

/** Multi-line notes as paragraphs of escaped text. */
const para = (text: string) => escapeHtml(text.trim()).replace(/\r?\n/g, '<br>');

function workoutHtml(w: Workout, date: string | null, opts: PrintOptions): string {
  const { units, plateIncrement } = opts.settings;
  const rows = w.prescriptions
    .map((rx, i) => {
      const load = loadText(rx, units, plateIncrement);
      const details = [rx.tempo ? `Tempo ${escapeHtml(rx.tempo)}` : '', rx.scheme?.length ? escapeHtml(schemeText(rx.scheme, rx, units, plateIncrement)) : ''].filter(Boolean);
      return `<tr>
<td class="num">${rx.group ? escapeHtml(rx.group) : i + 1}</td>
<td class="ex"><span class="ex-name">${escapeHtml(rx.exerciseName)}</span>${details.length ? `<span class="detail">${details.join('<br>')}</span>` : ''}</td>
<td class="sr">${rx.sets} × ${escapeHtml(amount(rx))}</td>
<td class="load">${escapeHtml(load.main)}${load.sub ? `<span class="detail">${escapeHtml(load.sub)}</span>` : ''}</td>
<td class="rpe">${rx.rpe !== null ? n(rx.rpe) : ''}</td>
<td class="rest">${rest(rx.restSec)}</td>
<td class="notes">${rx.notes ? para(rx.notes) : ''}</td>
<td class="log" aria-label="Done"></td>
</tr>`;
    })
    .join('\n');
  const day = DAY_NAMES[w.day - 1] ?? `Day ${w.day}`;
  return `<section class="workout">
<h3><span class="day">${escapeHtml(date ? shortDate(date) : day)}</span><span class="title">${escapeHtml(w.title.trim() || 'Workout')}</span></h3>
${w.notes ? `<p class="workout-notes">${para(w.notes)}</p>` : ''}
${
  w.prescriptions.length
    ? `<table>
<colgroup><col class="c-num"><col class="c-ex"><col class="c-sr"><col class="c-load"><col class="c-rpe"><col class="c-rest"><col class="c-notes"><col class="c-log"></colgroup>
<thead><tr><th class="num">#</th><th>Exercise</th><th>Sets × reps</th><th>Load</th><th>RPE</th><th>Rest</th><th>Notes</th><th class="log">Done</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
    : '<p class="empty">No exercises yet.</p>'
}
</section>`;
}

const STYLE = `
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font-family: "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; font-size: 9.5pt; line-height: 1.35; color: #1d2430; }
.cover { border-bottom: 2px solid #1f4e79; padding-bottom: 5mm; margin-bottom: 5mm; }
.brand { font-size: 8pt; letter-spacing: 0.12em; text-transform: uppercase; color: #1f4e79; font-weight: 700; margin: 0 0 2mm; }
h1 { font-size: 20pt; line-height: 1.15; margin: 0 0 3mm; color: #111827; }
dl.facts { display: flex; flex-wrap: wrap; gap: 2mm 9mm; margin: 0; }
dl.facts div { display: flex; flex-direction: column; }
dl.facts dt { font-size: 7.5pt; text-transform: uppercase; letter-spacing: 0.06em; color: #6b7280; }
dl.facts dd { margin: 0; font-weight: 600; }
.program-notes { margin: 4mm 0 0; padding: 2.5mm 3.5mm; background: #f3f6fa; border-left: 3px solid #1f4e79; }
.week { break-before: page; }
.week.first { break-before: auto; }
h2 { font-size: 13pt; margin: 0 0 3mm; padding-bottom: 1mm; border-bottom: 1px solid #c9d3e0; color: #1f4e79; break-after: avoid; }
.workout { break-inside: avoid; margin: 0 0 5mm; }
h3 { display: flex; gap: 3mm; align-items: baseline; font-size: 10.5pt; margin: 0 0 1.5mm; break-after: avoid; }
h3 .day { color: #1f4e79; font-weight: 700; min-width: 20mm; }
h3 .title { color: #111827; }
.workout-notes { margin: 0 0 2mm; color: #374151; font-style: italic; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th { text-align: left; font-size: 7.5pt; text-transform: uppercase; letter-spacing: 0.04em; color: #4b5563; background: #eef2f7; padding: 1.2mm 1.5mm; border-bottom: 1px solid #c9d3e0; }
td { padding: 1.4mm 1.5mm; border-bottom: 1px solid #e5e9f0; vertical-align: top; overflow-wrap: anywhere; }
col.c-num { width: 6mm; } col.c-sr { width: 24mm; } col.c-load { width: 25mm; } col.c-rpe { width: 10mm; } col.c-rest { width: 11mm; } col.c-notes { width: 43mm; } col.c-log { width: 13mm; }
td.num, th.num { text-align: center; color: #6b7280; }
.ex-name { font-weight: 600; }
.detail { display: block; font-size: 7.5pt; color: #6b7280; }
td.sr, td.load { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.load .detail { white-space: normal; }
td.notes { color: #374151; font-size: 8.5pt; }
td.log { border-left: 1px dashed #c9d3e0; }
.empty { color: #6b7280; font-style: italic; margin: 0 0 2mm; }
@media screen { body { max-width: 190mm; margin: 10mm auto; } }
`;

/**
 * The printable program: a cover block (program, client, coach, weeks, start, notes), then each
 * week on its own page with its days in the coach's week order, each workout a table that is not
 * split across pages when it fits on one. The page's margin boxes carry the program's and the
 * client's names, the coach's, and "Page N of M".
 */
export function programPrintHtml(program: ProgramDetail, opts: PrintOptions): string {
  const order = daysInWeekOrder(opts.settings.weekStartsOn);
  const rank = (day: number) => order.indexOf(day);
  const client = opts.clientName ?? (program.isTemplate ? null : program.traineeName);
  const facts: Array<[string, string]> = [];
  facts.push([program.isTemplate ? 'Template' : 'Client', client ?? (program.isTemplate ? 'not assigned' : '—')]);
  if (opts.coachName) facts.push(['Coach', opts.coachName]);
  facts.push(['Length', `${program.weeks} week${program.weeks === 1 ? '' : 's'}`]);
  if (program.startDate) facts.push(['Starts', longDate(program.startDate)]);
  facts.push(['Loads in', opts.settings.units]);
  facts.push(['Printed', longDate(opts.today)]);

  const weeks: string[] = [];
  for (let week = 1; week <= program.weeks; week++) {
    const workouts = program.workouts.filter((w) => w.week === week).sort((a, b) => rank(a.day) - rank(b.day));
    const body = workouts.length
      ? workouts.map((w) => workoutHtml(w, plannedDate(program.startDate, w.week, w.day, opts.settings.weekStartsOn), opts)).join('\n')
      : '<p class="empty">No workouts this week.</p>';
    weeks.push(`<section class="week${week === 1 ? ' first' : ''}" aria-label="Week ${week}">\n<h2>Week ${week}</h2>\n${body}\n</section>`);
  }

  const font = 'font-family: "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; font-size: 8pt; color: #6b7280;';
  const box = (text: string) => `content: ${cssString(text)}; ${font}`;
  const page = `@page {
  size: A4;
  margin: 18mm 14mm 16mm 14mm;
  @top-left { ${box(program.name)} }
  @top-right { ${box(client ?? '')} }
  @bottom-left { ${box(opts.coachName ? `Coach: ${opts.coachName}` : 'CoachDesk')} }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); ${font} }
}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(program.name)}</title>
<style>
${page}${STYLE}</style>
</head>
<body>
<header class="cover">
<p class="brand">Training program</p>
<h1>${escapeHtml(program.name)}</h1>
<dl class="facts">
${facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('\n')}
</dl>
${program.notes ? `<p class="program-notes">${para(program.notes)}</p>` : ''}
</header>
${weeks.join('\n')}
</body>
</html>
`;
}
