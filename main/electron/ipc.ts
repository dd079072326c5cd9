import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { API_METHODS, type ChangeEvent } from '../../preload/api.ts';
import type { CoachDeskHost } from '../host/coachdesk-host.ts';

export const CHANGE_CHANNEL = 'coachdesk:change';
export const channelOf = (method: string) => `coachdesk:${method}`;

/**
 * One IPC handler per API method. Each checks that the call comes from our own page before it
 * reaches the host; the host does the rest.
 */
export function registerIpc(host: CoachDeskHost, isOurPage: (url: string) => boolean): void {
  for (const method of API_METHODS) {
    ipcMain.handle(channelOf(method), async (event: IpcMainInvokeEvent, ...params: unknown[]) => {
      const url = event.senderFrame?.url ?? '';
      if (!isOurPage(url)) throw new Error(`refused ${method} from ${url || 'an unknown frame'}`);
      const fn = host[method] as (...args: unknown[]) => Promise<unknown>;
      return fn.apply(host, params);
    });
  }
}

export function forwardChanges(host: CoachDeskHost, contents: () => WebContents | undefined): () => void {
  return host.onChange((event: ChangeEvent) => {
    const target = contents();
    if (target && !target.isDestroyed()) target.send(CHANGE_CHANNEL, event);
  });
}
