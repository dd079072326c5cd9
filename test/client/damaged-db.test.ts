// A laptop's database after a crash or a disk fault: the client checks it on open and refuses a
// damaged file with a clear message and a copy, never by discarding the outbox.
import assert from 'node:assert/strict';
import { openLocalStore } from '../../main/sync/node-sqlite.ts';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DamagedDatabaseError } from '../../main/sync/node-sqlite.ts';
import { LocalStore } from '../../sync/local-store.ts';
import { runClient } from '../e2e/support.ts';
import { id, tempDir } from '../helpers.ts';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = tempDir('coachdesk-damaged-')));
afterEach(() => tmp.cleanup());

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A client file with 40 unsent edits, closed (its WAL folded into the file). */
function fileWithOutbox(): string {
  const file = join(tmp.dir, 'client.db');
  const store = openLocalStore(file);
  const coachId = id();
  for (let i = 0; i < 40; i++) store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId, name: `Exercise ${i}`, notes: 'x'.repeat(400) } });
  store.close();
  return file;
}

function overwrite(file: string, at: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}

function refused(file: string): DamagedDatabaseError {
  const before = sha(file);
  let caught: unknown;
  try {
    openLocalStore(file).close();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DamagedDatabaseError, `expected a DamagedDatabaseError, got ${String(caught)}`);
  assert.equal(sha(file), before, 'the damaged file is left exactly as it was');
  assert.ok(existsSync(caught.backup), 'the copy exists');
  assert.equal(sha(caught.backup), before, 'the copy is the damaged file, byte for byte');
  assert.ok(caught.message.includes(file) && caught.message.includes(caught.backup), caught.message);
  assert.match(caught.message, /damaged/);
  assert.match(caught.message, /unsent edits are still in it/);
  return caught;
}

describe('a damaged local database', () => {
  test('pages overwritten in the middle: refused by the integrity check, file untouched, a copy made', () => {
    const file = fileWithOutbox();
    const pageSize = 4096;
    const pages = statSync(file).size / pageSize;
    assert.ok(pages >= 4, `the file has ${pages} pages`);
    // Garbage over the b-tree header of a page that holds outbox rows.
    overwrite(file, (pages - 1) * pageSize, Buffer.alloc(64, 0xa5));
    const error = refused(file);
    assert.match(error.detail, /integrity check|malformed|corrupt/i);
  });

  test('not a database at all (its header overwritten): refused the same way', () => {
    const file = fileWithOutbox();
    overwrite(file, 0, Buffer.from('this is not sqlite at all'));
    refused(file);
  });

  test('a sound file opens and keeps its outbox', () => {
    const file = fileWithOutbox();
    const store = openLocalStore(file);
    assert.equal(store.pendingCount, 40);
    store.close();
  });

  test('the reference client exits 5 with the message and the copy’s path', async () => {
    const file = fileWithOutbox();
    overwrite(file, 0, Buffer.from('this is not sqlite at all'));
    const out = await runClient(['status', '--db', file], 15_000);
    assert.equal(out.code, 5, out.stderr);
    assert.match(out.stderr, /is damaged/);
    assert.match(out.stderr, /a copy is at \S+\.damaged-/);
  });
});
