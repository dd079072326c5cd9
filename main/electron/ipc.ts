import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { API_METHODS, type ApiReply, type ChangeEvent } from '../../preload/api.ts';
import { callHost } from '../host/api-boundary.ts';
import type { CoachDeskHost } from '../host/coachdesk-host.ts';

export const CHANGE_CHANNEL = 'coachdesk:change';
export const channelOf = (method: string) => `coachdesk:${method}`;

/**
 * One IPC handler per API method. Each checks that the call comes from our own page, then hands
 * it to the host's boundary (the same checks as the web shell's). The answer is an ApiReply, so
 * an error reaches the page as the coach's message, not as Electron's "Error invoking remote
 * method" text.
 */
export function registerIpc(host: CoachDeskHost, isOurPage: (url: string) => boolean): void {
  for (const method of API_METHODS) {
    ipcMain.handle(channelOf(method), async (event: IpcMainInvokeEvent, ...params: unknown[]): Promise<ApiReply> => {
      const url = event.senderFrame?.url ?? '';
      if (!isOurPage(url)) return { ok: false, error: { code: 'refused', message: `refused ${method} from ${url || 'an unknown frame'}` } };
      return callHost(host, method, params, (line) => console.error(line));
    });
  }
}

export function forwardChanges(host: CoachDeskHost, contents: () => WebContents | undefined): () => void {
  return host.onChange((event: ChangeEvent) => {
    const target = contents();
    if (target && !target.isDestroyed()) target.send(CHANGE_CHANNEL, event);
  });
}
