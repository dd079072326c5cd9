import { memo, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { daysInWeekOrder } from '../../../protocol/calendar.ts';
import type { Exercise, ProgramDetail, Units, Workout } from '../../../preload/api.ts';
import { ConfirmDialog } from '../../components/Modal.tsx';
import { parseText, type Parsed } from '../../lib/cells.ts';
import { DAY_NAMES, formatDayMonth, plannedDate, plural, slotName } from '../../lib/format.ts';
import { useActions, useApp } from '../../store/context.tsx';
import { Cell, useFocusRequest } from './Cell.tsx';
import { AssignDialog, CopyWeekDialog, SaveTemplateDialog } from './dialogs.tsx';
import { ProgramExports } from './exports.tsx';
import { ProgramOverview } from './ProgramOverview.tsx';
import { WorkoutCard } from './WorkoutCard.tsx';

const parseName = (text: string): Parsed<string> => (text.trim() ? { ok: true, value: text.trim() } : { ok: false, error: 'A program needs a name' });
const parseWeeks = (text: string): Parsed<number> => {
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= 1 && n <= 104 ? { ok: true, value: n } : { ok: false, error: 'Weeks must be 1 to 104' };
};
const parseNotes = parseText(10_000, 'Notes');

type Dialog = 'assign' | 'template' | 'delete' | null;

/**
 * The program builder: weeks as tabs, days as sections, each workout a table of prescriptions;
 * or the overview of every week at once. The week and the mode are in the URL.
 */
export function ProgramBuilder() {
  const program = useApp((s) => s.program);
  const view = useApp((s) => s.view);
  const exercises = useApp((s) => s.exercises.items);
  const units = useApp((s) => s.settings?.units ?? 'kg');
  const weekStartsOn = useApp((s) => s.settings?.weekStartsOn ?? 1);
  const { navigate } = useActions();
  const detail = program.detail;
  const weeks = detail?.weeks ?? 1;
  const week = view.name === 'program' ? (view.week ?? 1) : 1;
  const overview = view.name === 'program' && !!view.overview;
  const shownWeek = Math.min(week, weeks);
  const setWeek = (w: number) => detail && navigate({ name: 'program', id: detail.id, week: w });
  // The shown week's workouts by day, once per read of the program (not once per day section).
  const workouts = detail?.workouts;
  const byDay = useMemo(() => {
    const days = new Map<number, Workout[]>();
    for (const w of workouts ?? []) if (w.week === shownWeek) days.set(w.day, [...(days.get(w.day) ?? []), w]);
    return days;
  }, [workouts, shownWeek]);

  if (!program.loaded) return <main className="screen" aria-label="Program" />;
  if (!detail) {
    return (
      <main className="screen" aria-label="Program">
        <div className="empty-state">
          <p>This program no longer exists. It may have been deleted on another device.</p>
          <button type="button" onClick={() => navigate({ name: 'programs' })}>
            Back to programs
          </button>
        </div>
      </main>
    );
  }

  return (
    <main className="screen builder" aria-label={`Program ${detail.name}`}>
      <ProgramHeader detail={detail} overview={overview} week={shownWeek} />
      {overview ? (
        <ProgramOverview detail={detail} units={units} weekStartsOn={weekStartsOn} />
      ) : (
        <>
          <WeekTabs detail={detail} week={shownWeek} onWeek={setWeek} />
          <div role="tabpanel" id={`week-panel-${shownWeek}`} aria-labelledby={`week-tab-${shownWeek}`} className="week-panel">
            {daysInWeekOrder(weekStartsOn).map((day, i) => (
              <DaySection
                key={day}
                programId={detail.id}
                weeks={detail.weeks}
                startDate={detail.startDate}
                traineeName={detail.traineeName}
                week={shownWeek}
                day={day}
                workouts={byDay.get(day) ?? NO_WORKOUTS}
                exercises={exercises}
                units={units}
                weekStartsOn={weekStartsOn}
                first={i === 0}
              />
            ))}
          </div>
        </>
      )}
    </main>
  );
}

/** Weeks that still hold workouts past a new, lower number of weeks. */
function laterWorkouts(detail: ProgramDetail, weeks: number): Workout[] {
  return detail.workouts.filter((w) => w.week > weeks);
}

function ProgramHeader({ detail, overview, week }: { detail: ProgramDetail; overview: boolean; week: number }) {
  const actions = useActions();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [startDraft, setStartDraft] = useState<string | null>(null);
  const [lowering, setLowering] = useState<number | null>(null);
  const close = () => setDialog(null);

  /** Fewer weeks than hold workouts asks first: those workouts would otherwise vanish from view. */
  const commitWeeks = (weeks: number) => {
    if (laterWorkouts(detail, weeks).length) {
      setLowering(weeks);
      return;
    }
    return actions.updateProgram(detail.id, { weeks });
  };

  const commitStart = () => {
    if (startDraft === null || startDraft === (detail.startDate ?? '')) return setStartDraft(null);
    void actions.updateProgram(detail.id, { startDate: startDraft || null }).finally(() => setStartDraft(null));
  };

  return (
    <header className="builder-header">
      <nav className="crumbs" aria-label="Breadcrumb">
        <button type="button" className="link" onClick={() => actions.navigate({ name: 'programs' })}>
          Programs
        </button>
        <span aria-hidden="true"> / </span>
        <span>{detail.isTemplate ? 'Templates' : detail.traineeName}</span>
      </nav>
      <div className="builder-title-row">
        <Cell label="Program name" className="program-name" value={detail.name} format={(v) => v} parse={parseName} onCommit={(name) => actions.updateProgram(detail.id, { name })} />
        <div className="toolbar">
          <div className="segmented" role="group" aria-label="Show">
            <button type="button" aria-pressed={!overview} onClick={() => actions.navigate({ name: 'program', id: detail.id, week })}>
              Weeks
            </button>
            <button type="button" aria-pressed={overview} onClick={() => actions.navigate({ name: 'program', id: detail.id, overview: true })}>
              Overview
            </button>
          </div>
          <ProgramExports programId={detail.id} />
          <button type="button" onClick={() => setDialog('assign')}>
            Assign…
          </button>
          <button type="button" onClick={() => setDialog('template')}>
            Save as template…
          </button>
          <button type="button" className="danger-quiet" onClick={() => setDialog('delete')}>
            Delete program…
          </button>
        </div>
      </div>
      <div className="builder-meta">
        <span className="chip">{detail.isTemplate ? 'template' : `for ${detail.traineeName ?? 'a client'}`}</span>
        <label className="inline-field">
          <span>Weeks</span>
          <Cell label="Weeks" className="weeks-input" value={detail.weeks} format={String} parse={parseWeeks} inputMode="numeric" onCommit={commitWeeks} />
        </label>
        {!detail.isTemplate && (
          <label className="inline-field">
            <span>Starts</span>
            <input
              type="date"
              aria-label="Start date"
              value={startDraft ?? detail.startDate ?? ''}
              onChange={(e) => setStartDraft(e.target.value)}
              onBlur={commitStart}
              onKeyDown={(e) => {
                if (e.key === 'Enter') commitStart();
                if (e.key === 'Escape') setStartDraft(null);
              }}
            />
          </label>
        )}
        <div className="grow program-notes">
          <Cell label="Program notes" value={detail.notes} format={(v) => v ?? ''} parse={parseNotes} placeholder="Program notes" onCommit={(notes) => actions.updateProgram(detail.id, { notes })} />
        </div>
      </div>
      {lowering !== null && (
        <ConfirmDialog
          title={`Cut the program to ${plural(lowering, 'week')}?`}
          message={(() => {
            const later = laterWorkouts(detail, lowering);
            const weeks = [...new Set(later.map((w) => w.week))].sort((a, b) => a - b);
            const exercises = later.reduce((n, w) => n + w.prescriptions.length, 0);
            return (
              <p>
                {weeks.length === 1 ? `Week ${weeks[0]} holds` : `Weeks ${weeks[0]}–${weeks.at(-1)} hold`} {plural(later.length, 'workout')} ({plural(exercises, 'exercise')}). They will be
                deleted with the weeks. You can undo it (Ctrl+Z).
              </p>
            );
          })()}
          confirmLabel={`Delete ${plural(laterWorkouts(detail, lowering).length, 'workout')}`}
          danger
          onCancel={() => setLowering(null)}
          onConfirm={() => {
            const weeks = lowering;
            setLowering(null);
            void actions.updateProgram(detail.id, { weeks }, { removeLaterWeeks: true });
          }}
        />
      )}
      {dialog === 'assign' && <AssignDialog program={detail} onClose={close} />}
      {dialog === 'template' && <SaveTemplateDialog program={detail} onClose={close} />}
      {dialog === 'delete' && (
        <ConfirmDialog
          title="Delete this program?"
          message={
            <p>
              <strong>{detail.name}</strong> and its {plural(detail.workouts.length, 'workout')} will be deleted{detail.traineeName ? ` from ${detail.traineeName}’s plan` : ''}. You can undo it (Ctrl+Z).
            </p>
          }
          confirmLabel="Delete program"
          danger
          onCancel={close}
          onConfirm={() => {
            close();
            void actions.deleteProgram(detail.id);
          }}
        />
      )}
    </header>
  );
}

function WeekTabs({ detail, week, onWeek }: { detail: ProgramDetail; week: number; onWeek: (w: number) => void }) {
  const [copying, setCopying] = useState(false);
  const list = useRef<HTMLDivElement>(null);
  const weeks = Array.from({ length: detail.weeks }, (_, i) => i + 1);

  const onKeyDown = (event: KeyboardEvent) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    const to = event.key === 'Home' ? 1 : event.key === 'End' ? detail.weeks : step ? Math.min(Math.max(week + step, 1), detail.weeks) : 0;
    if (!to) return;
    event.preventDefault();
    onWeek(to);
    list.current?.querySelector<HTMLElement>(`#week-tab-${to}`)?.focus();
  };

  return (
    <div className="week-bar">
      <div className="tabs" role="tablist" aria-label="Weeks" ref={list} onKeyDown={onKeyDown}>
        {weeks.map((w) => {
          const count = detail.workouts.filter((x) => x.week === w).length;
          return (
            <button
              key={w}
              type="button"
              role="tab"
              id={`week-tab-${w}`}
              aria-selected={w === week}
              aria-controls={`week-panel-${w}`}
              tabIndex={w === week ? 0 : -1}
              className="tab"
              onClick={() => onWeek(w)}
            >
              Week {w}
              <span className="tab-count" aria-label={plural(count, 'workout')}>
                {count}
              </span>
            </button>
          );
        })}
      </div>
      <button type="button" className="quiet" onClick={() => setCopying(true)} disabled={detail.weeks < 2}>
        Copy week {week} to…
      </button>
      {copying && <CopyWeekDialog program={detail} fromWeek={week} onClose={() => setCopying(false)} />}
    </div>
  );
}

const NO_WORKOUTS: Workout[] = [];

interface DaySectionProps {
  programId: string;
  weeks: number;
  startDate: string | null;
  traineeName: string | null;
  week: number;
  day: number;
  /** This day's workouts in this week. */
  workouts: Workout[];
  exercises: Exercise[];
  units: Units;
  weekStartsOn: number;
  first: boolean;
}

/** The same props, the day's workouts compared one by one (the list is made anew per read). */
function sameDay(a: DaySectionProps, b: DaySectionProps): boolean {
  for (const key of Object.keys(a) as Array<keyof DaySectionProps>) {
    if (key === 'workouts') {
      if (a.workouts.length !== b.workouts.length || a.workouts.some((w, i) => w !== b.workouts[i])) return false;
    } else if (!Object.is(a[key], b[key])) return false;
  }
  return true;
}

/** One day of the week: its workouts, or a rest day. Renders again only when its own workouts change. */
const DaySection = memo(function DaySection(props: DaySectionProps) {
  const { programId, week, day, workouts, exercises, units } = props;
  const date = plannedDate(props.startDate, week, day, props.weekStartsOn);
  const [adding, setAdding] = useState(false);
  const addRef = useRef<HTMLButtonElement>(null);
  // A program just created: the first step is a workout on the week's first day.
  useFocusRequest(addRef, props.first ? `program:${programId}` : undefined, 'add-workout');
  return (
    <div className={`day${workouts.length ? '' : ' rest-day'}`} role="group" aria-label={slotName(week, day)}>
      <div className="day-header">
        <span className="day-name">{DAY_NAMES[day - 1]}</span>
        {date && <span className="muted small">{formatDayMonth(date)}</span>}
        {!workouts.length && !adding && <span className="muted small">Rest day</span>}
        <span className="spacer" />
        {!adding && (
          <button ref={addRef} type="button" className="quiet small" onClick={() => setAdding(true)} aria-label={`Add workout to ${slotName(week, day)}`}>
            + Workout
          </button>
        )}
      </div>
      {adding && <AddWorkout programId={programId} week={week} day={day} onDone={() => setAdding(false)} />}
      {workouts.map((w: Workout) => (
        <WorkoutCard key={w.id} workout={w} programId={programId} weeks={props.weeks} exercises={exercises} units={units} traineeName={props.traineeName} />
      ))}
    </div>
  );
}, sameDay);

function AddWorkout({ programId, week, day, onDone }: { programId: string; week: number; day: number; onDone: () => void }) {
  const actions = useActions();
  const [title, setTitle] = useState('');
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);

  const add = async () => {
    onDone();
    const id = await actions.addWorkout(programId, week, day, title.trim() || 'Workout');
    if (id) actions.requestFocus({ rxId: `add:${id}`, field: 'exercise' });
  };

  return (
    <form
      className="add-workout"
      onSubmit={(e) => {
        e.preventDefault();
        void add();
      }}
    >
      <input
        ref={ref}
        aria-label={`Title of the new workout, ${slotName(week, day)}`}
        placeholder="Workout title, e.g. Lower A"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onDone();
          }
        }}
      />
      <button type="submit" className="primary small">
        Add workout
      </button>
      <button type="button" className="small" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}
