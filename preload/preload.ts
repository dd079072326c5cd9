import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHODS, type ApiReply, type ChangeEvent, type CoachDeskApi } from './api.ts';

// Exposes the CoachDesk API to the page as `window.coachdesk`: one function per IPC message and
// a subscription, never ipcRenderer itself. The main process answers with an ApiReply; a failed
// call rejects with the coach's message (and the error's code and field).
const api: Record<string, unknown> = {
  onChange(listener: (event: ChangeEvent) => void) {
    const handler = (_event: IpcRendererEvent, change: ChangeEvent) => listener(change);
    ipcRenderer.on('coachdesk:change', handler);
    return () => ipcRenderer.off('coachdesk:change', handler);
  },
};
for (const method of API_METHODS) {
  api[method] = async (...params: unknown[]) => {
    const reply = (await ipcRenderer.invoke(`coachdesk:${method}`, ...params)) as ApiReply;
    if (reply.ok) return reply.value;
    throw Object.assign(new Error(reply.error.message), { code: reply.error.code, field: reply.error.field });
  };
}

contextBridge.exposeInMainWorld('coachdesk', api as unknown as CoachDeskApi);
