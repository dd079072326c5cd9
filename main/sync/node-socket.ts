import WebSocket from 'ws';
import type { EngineSocket } from '../../sync/sync-engine.ts';

/** The engine's connection on the desktop and in the CLI: `ws`. */
export const openWebSocket = (url: string): EngineSocket => new WebSocket(url, { maxPayload: 256 * 1024 * 1024, handshakeTimeout: 10_000 });
