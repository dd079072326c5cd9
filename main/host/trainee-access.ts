// A coach's trainees' app access: invites, devices, revoking. Unlike every other host call these
// ask the sync server (over the live sync connection), so they need a connection: an offline
// coach is told so at once, in words, rather than queued.
import type { z } from 'zod';
import { accessListSchema, accessRevokedSchema, inviteCreatedSchema, type RequestMethod } from '../../protocol/messages.ts';
import type { AccessRevoked, TraineeAccessEntry, TraineeInvite } from '../../preload/api.ts';
import type { LocalStore } from '../../sync/local-store.ts';
import { SyncRequestError, type SyncEngine } from '../../sync/sync-engine.ts';

/** What the coach was doing, for the messages: "Inviting needs a connection …". */
const DOING: Record<RequestMethod, string> = {
  'invite.create': 'Inviting',
  'access.list': 'Checking app access',
  'access.revoke': 'Revoking access',
};

/**
 * A SyncRequestError in words for the coach. `who` is the trainee's name when the request was
 * about one. Returns the message; the caller throws it as a HostError.
 */
export function accessErrorMessage(method: RequestMethod, error: SyncRequestError, who: string | null): string {
  const doing = DOING[method];
  const client = who ?? 'this client';
  switch (error.code) {
    case 'offline':
      return `${doing} needs a connection to the sync server: you are offline. Try again when connected.`;
    case 'timeout':
      return `${doing} needs the sync server, which did not answer in time. Try again in a moment.`;
    case 'unavailable':
      return `The sync server is busy right now (${error.message}). Try again in a moment.`;
    case 'not_found':
      return `${client} is not on the sync server yet (added while offline and not synced?). Wait until the status bar says Synced, then try again.`;
    case 'forbidden':
      return `The sync server refused: only a coach may invite clients and manage their access (${error.message}).`;
    case 'invalid':
      return `The sync server refused the request: ${error.message}`;
  }
}

export class AccessRefused extends Error {}

/** What the three calls need of the host's active session. */
export interface AccessContext {
  engine: SyncEngine;
  store: LocalStore;
  role: 'coach' | 'trainee';
}

function nameOf(store: LocalStore, traineeId: string): string | null {
  const name = store.getRow('trainee', traineeId)?.fields.name;
  return typeof name === 'string' && name.trim() ? name.trim() : null;
}

async function ask<M extends RequestMethod, T>(ctx: AccessContext, method: M, params: Record<string, unknown>, schema: z.ZodType<T>, who: string | null): Promise<T> {
  if (ctx.role !== 'coach') throw new AccessRefused('Only a coach may invite clients and manage their access: this session is not a coach’s.');
  let value: unknown;
  try {
    value = await ctx.engine.request(method, params);
  } catch (error) {
    if (error instanceof SyncRequestError) throw new AccessRefused(accessErrorMessage(method, error, who));
    throw error;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AccessRefused(`${DOING[method]} failed: the sync server answered something CoachDesk cannot read (is it a newer version?).`);
  return parsed.data;
}

export async function inviteTrainee(ctx: AccessContext, traineeId: string): Promise<TraineeInvite> {
  const row = ctx.store.getRow('trainee', traineeId);
  if (!row) throw new AccessRefused('this client no longer exists');
  const { code, url, expiresAt } = await ask(ctx, 'invite.create', { traineeId }, inviteCreatedSchema, nameOf(ctx.store, traineeId));
  return { code, url, expiresAt };
}

export async function traineeAccess(ctx: AccessContext): Promise<TraineeAccessEntry[]> {
  const list = await ask(ctx, 'access.list', {}, accessListSchema, null);
  return list.trainees.map((t) => ({ traineeId: t.traineeId, invited: t.invite ? { createdAt: t.invite.createdAt, expiresAt: t.invite.expiresAt } : null, devices: t.devices, lastSeenAt: t.lastSeenAt }));
}

/** Revokes even a client deleted here: the server still holds their tokens. */
export async function revokeTraineeAccess(ctx: AccessContext, traineeId: string): Promise<AccessRevoked> {
  const { revokedTokens, cancelledInvites } = await ask(ctx, 'access.revoke', { traineeId }, accessRevokedSchema, nameOf(ctx.store, traineeId));
  return { revokedTokens, cancelledInvites };
}
