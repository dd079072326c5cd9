// The Progress view's index of a desk's logged sets, kept in the desk's own database beside the
// replica: per session, its set_logs grouped by everything the analytics read except the load
// (exercise, reps, unit, RPE, done, target reps, prescription), with the count, heaviest and
// summed load of each group. Three years of daily logs (100k set_logs) become ~13k groups, and a
// cold Progress view reads those instead of parsing 100k JSON rows (330 ms of SQL alone).
//
// Kept incrementally: triggers on the replica mark the sessions whose sets changed, and
// refresh() regroups only those, so the work is proportional to what arrived. The engine does
// not know about it (the trainee app has no such table); if the triggers are missing (a new
// file, or a schema migration that rebuilt the replica) everything is rebuilt once.
import type { SyncDb } from '../../sync/db.ts';

const GROUPS = 'progress_v1_set_group';
const DIRTY = 'progress_v1_dirty';
const TRIGGERS = ['progress_v1_set_log_in', 'progress_v1_set_log_change', 'progress_v1_set_log_out'];

// A trigger's INSERT OR IGNORE takes the conflict rule of the statement that fired it (the
// replica's upsert), so the sessions are marked without a unique key, once each.
const mark = (session: string) => `INSERT INTO ${DIRTY} (session) SELECT ${session} WHERE ${session} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${DIRTY} WHERE session = ${session});`;

const SETUP = `
DROP TABLE IF EXISTS ${GROUPS};
DROP TABLE IF EXISTS ${DIRTY};
CREATE TABLE ${GROUPS} (
  session TEXT NOT NULL,
  exercise TEXT,
  reps REAL,
  unit TEXT,
  rpe REAL,
  done INTEGER NOT NULL,
  target_reps TEXT,
  prescription TEXT,
  sets INTEGER NOT NULL,
  load_max REAL,
  load_sum REAL
);
CREATE INDEX ${GROUPS}_by_session ON ${GROUPS} (session);
CREATE TABLE ${DIRTY} (session TEXT NOT NULL);
CREATE INDEX ${DIRTY}_by_session ON ${DIRTY} (session);
DROP TRIGGER IF EXISTS ${TRIGGERS[0]};
DROP TRIGGER IF EXISTS ${TRIGGERS[1]};
DROP TRIGGER IF EXISTS ${TRIGGERS[2]};
CREATE TRIGGER ${TRIGGERS[0]} AFTER INSERT ON replica WHEN NEW.entity = 'set_log' AND NEW.parent IS NOT NULL
BEGIN ${mark('NEW.parent')} END;
CREATE TRIGGER ${TRIGGERS[1]} AFTER UPDATE ON replica WHEN NEW.entity = 'set_log'
BEGIN ${mark('OLD.parent')} ${mark('NEW.parent')} END;
CREATE TRIGGER ${TRIGGERS[2]} AFTER DELETE ON replica WHEN OLD.entity = 'set_log' AND OLD.parent IS NOT NULL
BEGIN ${mark('OLD.parent')} END;
INSERT INTO ${DIRTY} (session) SELECT DISTINCT parent FROM replica WHERE entity = 'set_log' AND parent IS NOT NULL;
`;

// A field counts only with the JSON type the analytics accept (a number, a string, true), as
// the per-set path reads it: anything else is NULL here.
const numeric = (field: string) => `CASE WHEN json_type(fields, '$.${field}') IN ('integer', 'real') THEN fields ->> '${field}' END`;
const text = (field: string) => `CASE WHEN json_type(fields, '$.${field}') = 'text' THEN fields ->> '${field}' END`;

const REGROUP = `
INSERT INTO ${GROUPS} (session, exercise, reps, unit, rpe, done, target_reps, prescription, sets, load_max, load_sum)
SELECT session, exercise, reps, unit, rpe, done, target_reps, prescription, count(*), max(load), sum(load)
FROM (
  SELECT parent AS session, ${text('exerciseId')} AS exercise, ${numeric('reps')} AS reps, ${text('loadUnit')} AS unit,
    ${numeric('rpe')} AS rpe, json_type(fields, '$.done') IS 'true' AS done, ${text('targetReps')} AS target_reps,
    ${text('prescriptionId')} AS prescription, ${numeric('load')} AS load
  FROM replica INDEXED BY replica_by_parent
  WHERE entity = 'set_log' AND deleted = 0 AND parent IN (SELECT session FROM ${DIRTY})
)
GROUP BY session, exercise, reps, unit, rpe, done, target_reps, prescription`;

/**
 * One group of a session's sets that differ at most in load: exercise, reps, unit, RPE, done (0
 * or 1), target reps, prescription, how many sets, the heaviest load and Σ load.
 */
export type SetGroup = [
  exercise: string | null,
  reps: number | null,
  unit: string | null,
  rpe: number | null,
  done: number,
  targetReps: string | null,
  prescription: string | null,
  sets: number,
  loadMax: number | null,
  loadSum: number | null,
];

/** A live session of the trainee with its fields and its groups of sets. */
export interface SessionSets {
  id: string;
  fields: Record<string, unknown>;
  groups: SetGroup[];
}

export class SetGroups {
  constructor(private readonly db: SyncDb) {
    const present = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'trigger' AND name IN (${TRIGGERS.map(() => '?').join(', ')})`).get(...TRIGGERS) as { n: number };
    const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)`).get(GROUPS, DIRTY) as { n: number };
    if (present.n !== TRIGGERS.length || tables.n !== 2) db.transaction(() => db.exec(SETUP));
  }

  /** Regroups the sessions whose sets changed since the last call; returns how many. */
  refresh(): number {
    const db = this.db;
    const { n } = db.prepare(`SELECT count(*) AS n FROM ${DIRTY}`).get() as { n: number };
    if (n === 0) return 0;
    db.transaction(() => {
      db.prepare(`DELETE FROM ${GROUPS} WHERE session IN (SELECT session FROM ${DIRTY})`).run();
      db.prepare(REGROUP).run();
      db.prepare(`DELETE FROM ${DIRTY}`).run();
    });
    return n;
  }

  /**
   * The trainee's live sessions with their groups (refreshed first): one row per session, its
   * groups as one JSON array (13k row objects cost 3× as much to cross into JavaScript).
   */
  of(traineeId: string): SessionSets[] {
    this.refresh();
    const rows = this.db
      .prepare(
        `SELECT s.id, s.fields,
           (SELECT json_group_array(json_array(g.exercise, g.reps, g.unit, g.rpe, g.done, g.target_reps, g.prescription, g.sets, g.load_max, g.load_sum))
            FROM ${GROUPS} g WHERE g.session = s.id) AS groups
         FROM replica s INDEXED BY replica_by_parent
         WHERE s.entity = 'session' AND s.parent = ? AND s.deleted = 0`,
      )
      .all(traineeId) as Array<{ id: string; fields: string; groups: string }>;
    return rows.map((r) => ({ id: r.id, fields: JSON.parse(r.fields) as Record<string, unknown>, groups: JSON.parse(r.groups) as SetGroup[] }));
  }
}
