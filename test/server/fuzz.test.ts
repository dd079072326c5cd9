// Random and mutated frames against a real server: no crash, no canonical write, and a clear
// answer for each. Seeded: FUZZ_SEED=N reproduces a run; fast-check prints the seed and the
// smallest failing frame when one fails.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ENTITIES, FIELD_SCHEMAS } from '../../protocol/index.ts';
import { startServer, tempDir, type TestServer } from '../helpers.ts';
import { WsPeer, coachWorld, uuid, type Msg, type ServedWorld } from './support.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

let tmp: { dir: string; cleanup: () => void };
let ts: TestServer;
let world: ServedWorld;
let peer: WsPeer;
let nextSeq = 1;

before(async () => {
  tmp = tempDir('coachdesk-fuzz-');
  // Bad frames are what this sends: the per-minute limit would close the connection (that
  // limit has its own test in ws.test.ts).
  ts = await startServer(tmp.dir, { badFrameLimit: 1_000_000 });
  world = await coachWorld(ts, 'Ana');
  peer = await WsPeer.connect(ts.url);
  const welcome = await peer.hello(world.coachToken, 'fuzzer');
  nextSeq = welcome.nextSeq as number;
});

after(async () => {
  peer.close();
  await ts.close();
  tmp.cleanup();
});

async function canonicalState() {
  return (await ts.query(`SELECT COUNT(*) AS rows, COALESCE(MAX(version), 0) AS version, COALESCE(SUM(LENGTH(fields)), 0) AS bytes FROM canonical_rows`))[0];
}

/** Sends one frame and waits for the server's answer to it: an error, acks, or a close. */
async function answerTo(frame: string | Buffer, expectAcks = 0): Promise<Msg[]> {
  const from = peer.messages.length;
  peer.ws.send(frame, { binary: Buffer.isBuffer(frame) });
  const answered = () => {
    const got = peer.since(from);
    if (got.some((m) => m.type === 'error' || m.type === 'synced')) return true;
    return expectAcks > 0 && got.filter((m) => m.type === 'ack').length >= expectAcks;
  };
  const start = Date.now();
  while (!answered()) {
    if (!peer.isOpen) throw new Error(`the server closed the connection: ${JSON.stringify(peer.closed)}`);
    if (Date.now() - start > 3000) throw new Error(`no answer within 3 s to ${String(frame).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return peer.since(from);
}

function assertClearError(answer: Msg[], frame: unknown) {
  const error = answer.find((m) => m.type === 'error');
  assert.ok(error, `an error for ${String(frame).slice(0, 200)}: got ${JSON.stringify(answer).slice(0, 300)}`);
  assert.equal(error.code, 'bad_message');
  assert.ok(typeof error.message === 'string' && error.message.length > 3, 'the error says what is wrong');
}

/** A valid patch of the seeded prescription, to be broken by one mutation. */
function validOp(): Record<string, unknown> {
  return {
    key: uuid(),
    seq: nextSeq,
    at: new Date().toISOString(),
    entity: 'prescription',
    id: world.prescription,
    action: 'patch',
    fields: { sets: 4 },
    baseVersion: 0,
  };
}

const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const junk = fc.oneof(notAString, fc.string({ maxLength: 40 }));
const PRESCRIPTION_FIELDS = Object.keys(FIELD_SCHEMAS.prescription.shape);
const deep = fc.letrec((tie) => ({ node: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), tie('node'), { maxKeys: 3 })) })).node;

/** Mutations that each make the op invalid (never a valid edit by chance). */
const mutations: Array<[string, fc.Arbitrary<(op: Record<string, unknown>) => void>]> = [
  ['entity is not an entity', fc.string({ maxLength: 20 }).filter((s) => !(ENTITIES as string[]).includes(s)).map((v) => (op) => void (op.entity = v))],
  ['id is not a UUID', junk.filter((v) => typeof v !== 'string' || !/^[0-9a-f-]{36}$/i.test(v)).map((v) => (op) => void (op.id = v))],
  ['action is unknown', junk.filter((v) => !['put', 'patch', 'delete'].includes(v as string)).map((v) => (op) => void (op.action = v))],
  ['fields is not an object', fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer(), { minLength: 1 }), fc.boolean()).map((v) => (op) => void (op.fields = v))],
  ['a field that does not exist', fc.string({ minLength: 1, maxLength: 20 }).filter((k) => ![...PRESCRIPTION_FIELDS, '__proto__'].includes(k)).map((k) => (op) => void (op.fields = { [k]: 1 }))],
  ['sets is not a count', fc.oneof(fc.double({ noInteger: true }), fc.integer({ max: 0 }), fc.integer({ min: 101 }), fc.string(), fc.constant(null)).map((v) => (op) => void (op.fields = { sets: v }))],
  ['reps is not "5", "8-10" or AMRAP, or is below 1', fc.oneof(fc.string({ maxLength: 10 }).filter((s) => !/^(AMRAP|\d{1,3}(-\d{1,3})?)$/.test(s)), fc.constantFrom('10-8', '1234', '0', '0-5')).map((v) => (op) => void (op.fields = { reps: v }))],
  ['a scheme part that is not one', fc.oneof(junk, fc.record({ part: junk, sets: fc.integer({ max: 0 }), reps: fc.string({ maxLength: 5 }) })).map((v) => (op) => void (op.fields = { scheme: [v] }))],
  ['deep garbage in a field', deep.map((v) => (op) => void (op.fields = { notes: { v } }))],
  ['baseVersion is not a count', fc.oneof(fc.integer({ max: -1 }), fc.double({ noInteger: true }), fc.string()).map((v) => (op) => void (op.baseVersion = v))],
  ['at is not a time', fc.oneof(fc.string({ maxLength: 20 }), fc.integer()).filter((v) => typeof v !== 'string' || Number.isNaN(Date.parse(v))).map((v) => (op) => void (op.at = v))],
  ['an unknown top-level key', fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['key', 'seq', 'at', 'entity', 'id', 'action', 'fields', 'baseVersion', '__proto__'].includes(k)).map((k) => (op) => void (op[k] = 1))],
  ['a required key missing', fc.constantFrom('at', 'entity', 'id', 'action').map((k) => (op) => void delete op[k])],
];

describe('fuzzing the sync endpoint', () => {
  test('random text, JSON and binary frames: a bad_message naming the problem, nothing written, the connection kept', async () => {
    const before = await canonicalState();
    const frames = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.record({ type: fc.constantFrom('push', 'pull', 'hello', 'ack', 'changes'), ops: fc.anything({ maxDepth: 2 }), since: fc.anything({ maxDepth: 1 }) }, { requiredKeys: ['type'] }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)),
    );
    await fc.assert(
      fc.asyncProperty(frames, async (frame) => {
        const answer = await answerTo(frame);
        // A frame that is by chance a valid pull is answered with a catch-up; anything else is an error.
        if (answer.some((m) => m.type === 'synced') && !answer.some((m) => m.type === 'error')) return;
        assertClearError(answer, frame);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert.deepEqual(await canonicalState(), before, 'no canonical row was written');
    assert.ok(peer.isOpen);
  });

  test('valid pushes broken by one mutation: each op acked rejected with a message (or the frame refused), nothing written', async () => {
    const before = await canonicalState();
    const cases = fc.oneof(...mutations.map(([name, arb]) => arb.map((mutate) => ({ name, mutate }))));
    await fc.assert(
      fc.asyncProperty(cases, async ({ name, mutate }) => {
        const op = validOp();
        mutate(op);
        const frame = JSON.stringify({ type: 'push', ops: [op] });
        const answer = await answerTo(frame, 1);
        const ack = answer.find((m) => m.type === 'ack');
        if (ack) {
          nextSeq++;
          assert.equal(ack.status, 'rejected', `${name}: ${frame}`);
          assert.ok(['invalid', 'forbidden', 'unknown_row'].includes(ack.reason as string), `${name}: reason ${ack.reason}`);
          assert.ok(typeof ack.message === 'string' && ack.message.length > 3, `${name}: the ack says what is wrong`);
        } else {
          assertClearError(answer, frame);
        }
      }),
      { seed: SEED + 1, numRuns: RUNS * 2 },
    );
    assert.deepEqual(await canonicalState(), before, 'no canonical row was written');
    // And the server still applies a good edit afterwards.
    const good = validOp();
    const answer = await answerTo(JSON.stringify({ type: 'push', ops: [good] }), 1);
    assert.equal(answer.find((m) => m.type === 'ack')?.status, 'applied');
    nextSeq++;
  });
});
