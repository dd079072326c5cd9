import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LocalStore } from '../main/sync/local-store.ts';
import { newId } from '../protocol/index.ts';
import { summarize, ms } from './stats.ts';

/**
 * Enqueue latency against its floor: one bare durable SQLite insert (WAL, synchronous=FULL,
 * one transaction per row), run interleaved in the same process so machine noise hits both.
 */
export function benchEnqueue(dir: string, iterations: number) {
  const floorDb = new Database(join(dir, 'floor.db'));
  floorDb.pragma('journal_mode = WAL');
  floorDb.pragma('synchronous = FULL');
  floorDb.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL)`);
  const insert = floorDb.prepare(`INSERT INTO t (key, payload) VALUES (?, ?)`);
  const floorTx = floorDb.transaction((key: string, payload: string) => insert.run(key, payload));

  const store = new LocalStore(join(dir, 'client.db'));
  const coachId = newId();
  const exerciseIds = Array.from({ length: 200 }, () => newId());
  for (const id of exerciseIds) store.enqueue({ entity: 'exercise', id, action: 'put', fields: { coachId, name: 'Back squat' } });

  const floor: number[] = [];
  const enqueue: number[] = [];
  const enqueueAndRead: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const fields = { notes: `set ${i}: 5x5 @ ${60 + (i % 40)} kg` };
    const payload = JSON.stringify(fields);
    let t = process.hrtime.bigint();
    floorTx(newId(), payload);
    floor.push(ms(process.hrtime.bigint() - t));

    const id = exerciseIds[i % exerciseIds.length]!;
    t = process.hrtime.bigint();
    store.enqueue({ entity: 'exercise', id, action: 'patch', fields });
    const mid = process.hrtime.bigint();
    store.getRow('exercise', id);
    const end = process.hrtime.bigint();
    enqueue.push(ms(mid - t));
    enqueueAndRead.push(ms(end - t));
  }
  floorDb.close();
  store.close();
  return { floor: summarize(floor), enqueue: summarize(enqueue), enqueueAndRead: summarize(enqueueAndRead) };
}
