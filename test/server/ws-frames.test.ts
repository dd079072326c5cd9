// A turn's frames encoded by the server (server/ws-frames.ts), written to a ws server's socket
// and read by a ws client on 127.0.0.1.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import type { Ack } from '../../protocol/index.ts';
import { ackFrameText, encodeTextFrames } from '../../server/ws-frames.ts';

/** What a ws client reads when a ws server's socket is written `bytes`, in writes of `chunk` bytes. */
async function readFrames(bytes: Buffer, count: number, chunk: number): Promise<Array<{ text: string; isBinary: boolean }>> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    const socket = (ws as unknown as { _socket: { write(data: Buffer): boolean } })._socket;
    for (let at = 0; at < bytes.length; at += chunk) socket.write(bytes.subarray(at, at + chunk));
  });
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  try {
    return await new Promise((resolve, reject) => {
      const got: Array<{ text: string; isBinary: boolean }> = [];
      const timer = setTimeout(() => reject(new Error(`${got.length} of ${count} frames read in 5 s`)), 5000);
      client.on('error', reject);
      client.on('message', (data: Buffer, isBinary: boolean) => {
        got.push({ text: data.toString(), isBinary });
        if (got.length === count) {
          clearTimeout(timer);
          resolve(got);
        }
      });
    });
  } finally {
    client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
}

test('frames of every length class, text and bytes, come out whole and in order', async () => {
  const frames: Array<string | Buffer> = [
    '{"type":"ack","key":"k","seq":1,"status":"applied","version":7,"replay":false}',
    '',
    'x'.repeat(125),
    'x'.repeat(126),
    'é'.repeat(40_000), // 80,000 bytes: the 8-byte length
    Buffer.from('{"type":"synced","version":7}'),
    '1RM 100 kg — Zürich 🏋',
    'y'.repeat(0xffff),
    'z'.repeat(0x10000),
  ];
  const bytes = encodeTextFrames(frames);
  // Sockets deliver bytes in pieces that ignore frame boundaries.
  for (const chunk of [7, 4096, bytes.length]) {
    const got = await readFrames(bytes, frames.length, chunk);
    assert.deepEqual(
      got.map((m) => m.text),
      frames.map((f) => f.toString()),
      `read ${chunk} bytes at a time`,
    );
    assert.ok(got.every((m) => !m.isBinary));
  }
});

test('the header is the one RFC 6455 gives a server frame', () => {
  assert.deepEqual([...encodeTextFrames(['ab'])], [0x81, 2, 0x61, 0x62]);
  assert.deepEqual([...encodeTextFrames(['a'.repeat(300)]).subarray(0, 4)], [0x81, 126, 0x01, 0x2c]);
  assert.deepEqual([...encodeTextFrames(['a'.repeat(70_000)]).subarray(0, 10)], [0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]);
  assert.equal(encodeTextFrames([]).length, 0);
});

test('an ack frame text parses to the ack, in the usual form and every other', () => {
  const acks: Ack[] = [
    { type: 'ack', key: '0193f1e2-7c4b-7a3d-9f2e-1a2b3c4d5e6f', seq: 1, replay: false, status: 'applied', version: 42 },
    { type: 'ack', key: 'k"\\\u2028é', seq: 2, replay: true, status: 'applied', version: 0 },
    { type: 'ack', key: 'k', seq: 3, replay: false, status: 'applied' },
    { type: 'ack', key: 'k', seq: 4, replay: false, status: 'partial', version: 9, dropped: ['reps'], reason: 'trainee-log-wins', message: 'kept the logged reps' },
    { type: 'ack', key: 'k', seq: 5, replay: false, status: 'rejected', reason: 'invalid', message: 'reps must be a whole number' },
    { type: 'ack', key: 'k', seq: 6, replay: false, status: 'applied', version: 3, message: 'this edit reached the server long ago' },
  ];
  for (const ack of acks) assert.deepEqual(JSON.parse(ackFrameText(ack)), JSON.parse(JSON.stringify(ack)));
  // The usual ack is written directly, with the key order JSON.stringify gives it.
  assert.equal(ackFrameText(acks[0]!), JSON.stringify(acks[0]));
});
