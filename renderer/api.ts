import type { CoachDeskApi } from '../preload/api.ts';
import { connectWebShellApi } from './bridge/ws-api.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser, where the web shell's bridge is used. */
    coachdesk?: CoachDeskApi;
  }
}

let api: CoachDeskApi | undefined;

/** The one API the UI talks to: the desktop preload's, or the web shell's over WebSocket. */
export function getApi(): CoachDeskApi {
  api ??= window.coachdesk ?? connectWebShellApi(window.location);
  return api;
}

/** For tests: use this API instead. */
export function setApi(next: CoachDeskApi): void {
  api = next;
}
