// What a coach types into "Add exercise": a name, then optionally a set scheme, loads and RPE:
// "Back squat 5x5 @ 100kg @RPE8", "Bench press 3×8-10 @ 75%", "Pull-up 3xAMRAP", "Plank 3x30s".
// It either reads exactly what was typed or says what it cannot read; it never guesses.
import type { LoadUnit, PrescriptionInput, SchemePart } from '../../preload/api.ts';
import { parseAmount, parseExerciseName, parseLoadWithUnit, parseRpe, parseSets } from './cells.ts';

export type FastRx = Partial<Pick<PrescriptionInput, 'sets' | 'reps' | 'kind' | 'load' | 'loadUnit' | 'rpe'>>;
/** A scheme line may also take a load as a percentage of the top set ("@ 90% top"). */
type SchemeRx = Omit<FastRx, 'loadUnit'> & { loadUnit?: LoadUnit | '%top' | null; allowTop?: boolean };

export type FastEntry = { ok: true; name: string; rx: FastRx; hasScheme: boolean } | { ok: false; name: string; error: string };

const EXAMPLE = 'e.g. Back squat 5x5 @ 100kg @RPE8';

/** Where the scheme starts: "3x5", "-3x5", "@ …" or "RPE 8" after the name. */
const SCHEME_START = /(?:^|\s)(?=[-+]?\d+(?:[.,]\d+)?\s*[x×*]|@|rpe\s*\d)/i;
/** Far beyond any name and scheme: not worth reading further (a paste gone wrong). */
const MAX_TEXT = 1000;

/** Reads one "@ …" part: a load with its unit, a percentage, or an RPE ("@8", "@RPE8"). */
function readAt(part: string, rx: SchemeRx): string | null {
  const top = /^(\d+(?:[.,]\d+)?)\s*%\s*(?:of\s*)?top$/i.exec(part.trim());
  if (top && rx.allowTop) {
    rx.load = Number(top[1]!.replace(',', '.'));
    rx.loadUnit = '%top';
    return null;
  }
  const t = part.trim();
  if (!t) return `Nothing after "@": ${EXAMPLE}`;
  const rpeMatch = /^(?:rpe\s*)?(\d+(?:[.,]\d+)?)$/i.exec(t);
  if (rpeMatch) {
    const bare = !/^rpe/i.test(t);
    const rpe = parseRpe(rpeMatch[1]!);
    if (!rpe.ok) return bare ? `@${t} reads as an RPE, which must be between 1 and 10; for a load add its unit: @${t}kg` : rpe.error;
    if (rx.rpe !== undefined) return 'Two RPEs: give one';
    rx.rpe = rpe.value;
    return null;
  }
  const load = parseLoadWithUnit(t);
  if (!load.ok) return load.error;
  if (!load.value.unit) return `Could not read "@${t}": a load needs its unit (100kg, 225lb, 75%), an RPE is @8 or @RPE8`;
  if (rx.load !== undefined) return 'Two loads: give one';
  rx.load = load.value.load;
  rx.loadUnit = load.value.unit as LoadUnit;
  return null;
}

/** Reads the scheme after the name into `rx`; the message of the first thing it cannot read. */
function readScheme(tail: string, rx: SchemeRx): string | null {
  let rest = tail;
  const scheme = /^([-+]?\d+(?:[.,]\d+)?)\s*[x×*]\s*([^\s@]*(?:\s*-\s*\d+)?(?:\s*(?:s|sec|m)\b)?)/i.exec(rest);
  if (scheme) {
    const sets = parseSets(scheme[1]!);
    if (!sets.ok) return sets.error;
    if (!scheme[2]) return `Reps are missing after "${scheme[1]}x": ${EXAMPLE}`;
    const amount = parseAmount(scheme[2]);
    if (!amount.ok) return amount.error;
    rx.sets = sets.value;
    rx.reps = amount.value.reps;
    if (amount.value.kind !== 'reps') rx.kind = amount.value.kind;
    rest = rest.slice(scheme[0].length).trim();
  }
  while (rest) {
    const at = /^(?:@|(?=rpe\s*\d))([^@]*)/i.exec(rest);
    if (!at) return `Could not read "${rest.slice(0, 40)}": ${EXAMPLE}`;
    const problem = readAt(at[1]!, rx);
    if (problem) return problem;
    rest = rest.slice(at[0].length).trim();
  }
  return null;
}

export function parseFastEntry(text: string): FastEntry {
  if (text.length > MAX_TEXT) {
    return { ok: false, name: '', error: `That is ${text.length.toLocaleString('en')} characters: an exercise name is at most 200 (was something pasted by mistake?)` };
  }
  const t = text.trim();
  const start = SCHEME_START.exec(t);
  const name = (start ? t.slice(0, start.index) : t).trim();
  const tail = start ? t.slice(start.index).trim() : '';
  const rx: FastRx = {};
  const problem = tail ? readScheme(tail, rx) : null;
  if (!name) return { ok: false, name, error: tail ? `Type the exercise's name first, ${EXAMPLE}` : 'An exercise needs a name' };
  const checkedName = parseExerciseName(name);
  if (!checkedName.ok) return { ok: false, name, error: checkedName.error };
  if (problem) return { ok: false, name, error: problem };
  return { ok: true, name: checkedName.value, rx, hasScheme: !!tail };
}

const PARTS: Array<[RegExp, SchemePart['part']]> = [
  [/^(warm[- ]?ups?|wu)$/i, 'warmup'],
  [/^(top( set)?)$/i, 'top'],
  [/^(back[- ]?offs?|bo)$/i, 'backoff'],
  [/^(drops?( sets?)?)$/i, 'drop'],
  [/^(work(ing)?( sets?)?)$/i, 'work'],
];

/**
 * One line of a per-set scheme: "Warm-up 2x5 @ 50%", "Top set 1x3 @RPE8", "Back-off 3x5 @ 90% top".
 */
export function parseSchemeLine(line: string): { ok: true; part: SchemePart } | { ok: false; error: string } {
  const t = line.trim();
  const start = /\s(?=[-+]?\d+\s*[x×*])/.exec(t);
  const word = (start ? t.slice(0, start.index) : t).trim();
  const kind = PARTS.find(([re]) => re.test(word))?.[1];
  if (!kind) return { ok: false, error: `"${word.slice(0, 30)}": a line starts with Warm-up, Top set, Back-off, Drop set or Work` };
  const rx: SchemeRx = { allowTop: true };
  const problem = readScheme(start ? t.slice(start.index).trim() : '', rx);
  if (problem) return { ok: false, error: problem };
  if (rx.sets === undefined) return { ok: false, error: `${word}: give sets and reps, e.g. ${word} 3x5` };
  if (rx.sets > 20) return { ok: false, error: `${word}: at most 20 sets in one line` };
  if (rx.kind) return { ok: false, error: `${word}: a scheme line counts reps` };
  const part: SchemePart = { part: kind, sets: rx.sets, reps: rx.reps! };
  if (rx.load !== undefined) Object.assign(part, { load: rx.load, loadUnit: rx.loadUnit });
  if (rx.rpe !== undefined) part.rpe = rx.rpe;
  return { ok: true, part };
}

/** A scheme as the coach edits it, one part per line. */
export function schemeText(scheme: SchemePart[] | null): string {
  const names: Record<SchemePart['part'], string> = { warmup: 'Warm-up', top: 'Top set', backoff: 'Back-off', drop: 'Drop set', work: 'Work' };
  return (scheme ?? [])
    .map((p) => {
      const load = p.load === null || p.load === undefined ? '' : p.loadUnit === '%top' ? ` @ ${p.load}% top` : p.loadUnit === '%1rm' ? ` @ ${p.load}%` : ` @ ${p.load}${p.loadUnit ?? ''}`;
      return `${names[p.part]} ${p.sets}x${p.reps}${load}${p.rpe ? ` @RPE${p.rpe}` : ''}`;
    })
    .join('\n');
}
