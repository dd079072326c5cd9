import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import WebSocket from 'ws';
import { newId } from '../protocol/index.ts';
import { addCoach } from '../server/auth.ts';
import { openServerDb } from '../server/db.ts';
import { summarize } from './stats.ts';
import { startServerProcess } from '../main/embedded/server-process.ts';

interface LoadClient {
  ws: WebSocket;
  coachId: string;
  nextSeq: number;
}

function connect(url: string, token: string): Promise<LoadClient & { welcome: { userId: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 256 * 1024 * 1024 });
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, token, clientId: randomUUID(), lastVersion: 0 })));
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString()) as { type: string; userId: string; nextSeq: number };
      if (m.type === 'welcome') {
        ws.off('message', onMessage);
        resolve({ ws, coachId: m.userId, nextSeq: m.nextSeq, welcome: m });
      }
    };
    ws.on('message', onMessage);
  });
}

/**
 * Acked ops per second: `clients` coaches each push `batches` batches of `batchSize` new
 * exercises, keeping two batches in flight, against the server in its own process.
 * Also the time from sending a batch to receiving its last ack (push-to-ack).
 */
export async function benchServer(dir: string, clients: number, batches: number, batchSize = 500) {
  const dbFile = join(dir, `server-${clients}.db`);
  const db = openServerDb(dbFile);
  const tokens = Array.from({ length: clients }, (_, i) => addCoach(db, `Coach ${i}`).token);
  db.close();
  const server = await startServerProcess(dbFile);
  try {
    const conns = (await Promise.all(tokens.map((t) => connect(server.url, t)))).map((c) => ({
      ...c,
      // Frames are made before the clock starts, so the load generator spends its time sending.
      frames: Array.from({ length: batches }, () =>
        JSON.stringify({
          type: 'push',
          ops: Array.from({ length: batchSize }, () => ({
            key: newId(),
            seq: c.nextSeq++,
            at: new Date().toISOString(),
            entity: 'exercise',
            id: newId(),
            action: 'put',
            fields: { coachId: c.coachId, name: 'Romanian deadlift', category: 'hinge' },
            baseVersion: 0,
          })),
        }),
      ),
    }));
    const pushToAck: number[] = [];
    const start = process.hrtime.bigint();
    let acked = 0;
    await Promise.all(
      conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            let sent = 0;
            let done = 0;
            const sentAt: bigint[] = [];
            const frames = c.frames;
            const sendBatch = () => {
              sentAt.push(process.hrtime.bigint());
              c.ws.send(frames[sent]!);
              sent++;
            };
            let inBatch = 0;
            c.ws.on('message', (data) => {
              // The load generator shares the machine with the server: count acks without parsing them.
              if (!data.toString('latin1', 0, 16).startsWith('{"type":"ack"')) return;
              acked++;
              if (++inBatch < batchSize) return;
              inBatch = 0;
              pushToAck.push(Number(process.hrtime.bigint() - sentAt[done]!) / 1e6);
              done++;
              if (sent < batches) sendBatch();
              if (done === batches) resolve();
            });
            sendBatch();
            if (batches > 1) sendBatch();
          }),
      ),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    for (const c of conns) c.ws.close();
    return { clients, ops: acked, seconds, opsPerSec: acked / seconds, pushToAckMs: summarize(pushToAck) };
  } finally {
    await server.stop();
  }
}
