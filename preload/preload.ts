import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHODS, type ChangeEvent, type CoachDeskApi } from './api.ts';

// Exposes the CoachDesk API to the page as `window.coachdesk`: one function per IPC message and
// a subscription, never ipcRenderer itself.
const api: Record<string, unknown> = {
  onChange(listener: (event: ChangeEvent) => void) {
    const handler = (_event: IpcRendererEvent, change: ChangeEvent) => listener(change);
    ipcRenderer.on('coachdesk:change', handler);
    return () => ipcRenderer.off('coachdesk:change', handler);
  },
};
for (const method of API_METHODS) api[method] = (...params: unknown[]) => ipcRenderer.invoke(`coachdesk:${method}`, ...params);

contextBridge.exposeInMainWorld('coachdesk', api as unknown as CoachDeskApi);
