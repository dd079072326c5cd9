/**
 * The network floor of the server benchmark (bench/server-throughput.ts): a bare `ws` server
 * on the same path and frame limit as the sync server, run in its own process, that does no
 * work at all. Every text frame is sent straight back to its sender, except a frame that
 * starts with {"type":"fanout" which goes, as is, to every other connection instead.
 *
 *   node --import tsx bench/echo-server.ts [--port N]     # prints "listening ws://127.0.0.1:PORT/sync"
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME_BYTES } from '../protocol/index.ts';

const FANOUT = Buffer.from('{"type":"fanout"');

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
const http = createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('echo: connect with a WebSocket to /sync\n'));
const wss = new WebSocketServer({ server: http, path: '/sync', maxPayload: MAX_FRAME_BYTES });
const peers = new Set<WebSocket>();

wss.on('connection', (ws) => {
  peers.add(ws);
  ws.on('close', () => peers.delete(ws));
  ws.on('error', () => peers.delete(ws));
  ws.on('message', (data, isBinary) => {
    const frame = data as Buffer;
    if (!isBinary && frame.length >= FANOUT.length && frame.subarray(0, FANOUT.length).equals(FANOUT)) {
      for (const peer of peers) if (peer !== ws && peer.readyState === peer.OPEN) peer.send(frame, { binary: false });
      return;
    }
    ws.send(frame, { binary: isBinary });
  });
});

http.listen(port, '127.0.0.1', () => {
  console.log(`listening ws://127.0.0.1:${(http.address() as AddressInfo).port}/sync`);
});

// Exit through process.exit so that --cpu-prof (NODE_OPTIONS) writes its profile.
const stop = () => {
  for (const ws of peers) ws.terminate();
  wss.close();
  http.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
