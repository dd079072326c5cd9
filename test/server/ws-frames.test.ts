// A turn's frames encoded by the server (server/ws-frames.ts), written to a ws server's socket
// and read by a ws client on 127.0.0.1.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { encodeTextFrames } from '../../server/ws-frames.ts';

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
