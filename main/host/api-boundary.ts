import { checkParams } from '../../preload/api-params.ts';
import { API_METHODS, type ApiError, type ApiMethod, type ApiReply, type CoachDeskApi } from '../../preload/api.ts';
import { LocalStoreError } from '../../sync/local-store.ts';
import { HostError } from './coachdesk-host.ts';

export type HostApi = Omit<CoachDeskApi, 'onChange'>;

const fail = (error: ApiError): ApiReply => ({ ok: false, error });

export function isApiMethod(value: unknown): value is ApiMethod {
  return typeof value === 'string' && (API_METHODS as readonly string[]).includes(value);
}

/**
 * Every call from a page into the host goes through here, from IPC and the web shell's socket
 * alike: the method must exist, its parameters must pass the schemas the UI uses, and whatever
 * goes wrong comes back as an error for the coach. Errors of ours (a bug, a SQLite fault) are
 * logged whole and reach the page only as "internal": no stack, no SQL, no raw JavaScript.
 */
export async function callHost(host: HostApi, method: unknown, params: unknown, log: (line: string) => void): Promise<ApiReply> {
  if (!isApiMethod(method)) return fail({ code: 'invalid', message: `there is no call named ${JSON.stringify(method)?.slice(0, 80) ?? String(method)}` });
  const checked = checkParams(method, params);
  if (!checked.ok) return fail({ code: 'invalid', message: checked.message, field: checked.field || undefined });
  try {
    const fn = host[method] as (...args: unknown[]) => Promise<unknown>;
    const value = await fn.apply(host, checked.params);
    return { ok: true, value: value ?? null };
  } catch (error) {
    if (error instanceof HostError || error instanceof LocalStoreError) return fail({ code: 'refused', message: error.message });
    log(`${method} failed: ${(error as Error)?.stack ?? String(error)}`);
    return fail({ code: 'internal', message: `CoachDesk could not do that (${method}): an internal error, written to the log` });
  }
}
