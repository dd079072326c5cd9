import * as A from '@automerge/automerge';
import Database from 'better-sqlite3';
import type { Fields } from '../../protocol/index.ts';

/** V2's data model: one Automerge document per program, rows keyed by id inside it. */
export interface ProgramDoc {
  program: Fields;
  workouts: Record<string, Fields>;
  prescriptions: Record<string, Fields>;
}

/**
 * The CRDT design the product replaced, done as a CRDT app does it: every edit is an
 * Automerge change to the program's document, saved durably to SQLite (WAL, synchronous=FULL)
 * as an incremental chunk in its own transaction, and compacted into one snapshot when the
 * incremental chunks outgrow it (automerge-repo's storage rule).
 */
export class ProgramDocStore {
  private readonly db: Database.Database;
  private doc: A.Doc<ProgramDoc>;
  private snapshotBytes = 0;
  private incrementalBytes = 0;
  private readonly insertChunk: Database.Statement;
  private readonly compactTx: (snapshot: Uint8Array) => void;
  compactions = 0;

  constructor(
    file: string,
    readonly docId: string,
    initial: ProgramDoc,
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS chunks (
      id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, kind TEXT NOT NULL, data BLOB NOT NULL)`);
    this.db.exec(`CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id)`);
    this.insertChunk = this.db.prepare(`INSERT INTO chunks (doc_id, kind, data) VALUES (?, ?, ?)`);
    const deleteChunks = this.db.prepare(`DELETE FROM chunks WHERE doc_id = ?`);
    this.compactTx = this.db.transaction((snapshot: Uint8Array) => {
      deleteChunks.run(this.docId);
      this.insertChunk.run(this.docId, 'snapshot', snapshot);
    });
    this.doc = A.from(initial as unknown as Record<string, unknown>) as unknown as A.Doc<ProgramDoc>;
    this.compact();
  }

  /** One edit: the change, then its durable save. */
  change(edit: (doc: ProgramDoc) => void): void {
    this.doc = A.change(this.doc, edit);
    const chunk = A.saveIncremental(this.doc);
    this.incrementalBytes += chunk.byteLength;
    if (this.incrementalBytes >= this.snapshotBytes) this.compact();
    else this.insertChunk.run(this.docId, 'incremental', chunk);
  }

  private compact(): void {
    const snapshot = A.save(this.doc);
    this.compactTx(snapshot);
    this.snapshotBytes = snapshot.byteLength;
    this.incrementalBytes = 0;
    this.compactions++;
  }

  /** The document as the UI reads it. */
  get view(): ProgramDoc {
    return this.doc;
  }

  /** Reloads the document from its chunks, as a restart would (a check that saving is real). */
  reload(): A.Doc<ProgramDoc> {
    const chunks = this.db.prepare(`SELECT data FROM chunks WHERE doc_id = ? ORDER BY id`).all(this.docId) as Array<{ data: Buffer }>;
    let doc = A.init<ProgramDoc>();
    for (const { data } of chunks) doc = A.loadIncremental(doc, new Uint8Array(data));
    return doc;
  }

  close(): void {
    this.db.close();
  }
}
