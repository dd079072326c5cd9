// Inviting a client from the workstation, seeing their devices and revoking them: the host's
// three calls against a real sync server, and a phone's join over the server's HTTP.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { callHost } from '../../main/host/api-boundary.ts';
import { CoachDeskHost, HostError } from '../../main/host/coachdesk-host.ts';
import { fileModeVault, SessionFileStore } from '../../main/host/saved-session.ts';
import { accessErrorMessage } from '../../main/host/trainee-access.ts';
import { probeServer } from '../../main/sync/probe.ts';
import { SyncRequestError } from '../../sync/sync-engine.ts';
import { id, joinWithCode, openClient, until } from '../helpers.ts';
import { hostBed } from './support.ts';

const bed = hostBed('coachdesk-invites-');

/** A started host on a data folder of its own, closed after the tests. */
const newHost = (name: string): CoachDeskHost => bed.newHost(`${name}-${id().slice(0, 6)}`);

/** A host that resumes a saved session (as after a restart), without asking the server first. */
function resumedHost(name: string, session: { serverUrl: string; userId: string; role: 'coach' | 'trainee'; token: string }): CoachDeskHost {
  const dir = join(bed.dir, `${name}-${id().slice(0, 6)}`);
  mkdirSync(dir, { recursive: true });
  new SessionFileStore(dir, fileModeVault).save(session);
  const host = new CoachDeskHost(dir, fileModeVault);
  bed.track(host);
  host.start();
  return host;
}

async function synced(host: CoachDeskHost): Promise<void> {
  const start = Date.now();
  for (;;) {
    const s = await host.getSyncStatus();
    if (s.connection === 'synced' && s.pendingCount === 0) return;
    if (Date.now() - start > 8000) throw new Error(`not synced: ${JSON.stringify({ connection: s.connection, pending: s.pendingCount, error: s.error })}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function signedInCoach(name: string) {
  const coach = bed.srv.addCoach(name);
  const host = newHost(name);
  const result = await host.signIn(bed.srv.url, coach.token);
  assert.ok(result.ok, JSON.stringify(result));
  return { host, coach };
}

/** What a phone does with the invite link: POST the code (after the #) to /api/join. */
const join_ = (code: string) => joinWithCode(`http://127.0.0.1:${bed.srv.port}`, code);

const refusedWith = (pattern: RegExp) => (error: unknown) => error instanceof HostError && pattern.test(error.message);

describe('trainee access from the host', () => {
  test('invite → the phone joins → 1 device → revoke → 0 devices, and the joined token is refused on /sync', async () => {
    const { host } = await signedInCoach('Ana');
    const traineeId = await host.saveTrainee({ name: 'Ben Okafor' });
    await synced(host);

    assert.deepEqual(await host.getTraineeAccess(), [{ traineeId, invited: null, devices: 0, lastSeenAt: null }]);
    const invite = await host.inviteTrainee(traineeId);
    assert.match(invite.code, /^[A-Za-z0-9_-]{16,}$/);
    assert.equal(invite.url, `http://127.0.0.1:${bed.srv.port}/join#${invite.code}`);
    const expires = Date.parse(invite.expiresAt) - Date.now();
    assert.ok(expires > 6.9 * 86400_000 && expires <= 7 * 86400_000, `valid 7 days: ${invite.expiresAt}`);
    const [pending] = await host.getTraineeAccess();
    assert.equal(pending?.devices, 0);
    assert.equal(pending?.invited?.expiresAt, invite.expiresAt);

    const joined = await join_(invite.code);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.equal(joined.body.userId, traineeId);
    const token = joined.body.token!;
    assert.ok(token);
    assert.equal((await join_(invite.code)).status, 410, 'the code works once');

    const [afterJoin] = await host.getTraineeAccess();
    assert.deepEqual({ devices: afterJoin?.devices, invited: afterJoin?.invited }, { devices: 1, invited: null });

    // The phone syncs with its new token; the coach then sees when it was last connected.
    const phone = openClient(bed.dir, bed.srv.url, token, `phone-${id().slice(0, 6)}`);
    phone.engine.start();
    await until('the phone to sync', () => phone.engine.getState().connection === 'synced');
    const [seen] = await host.getTraineeAccess();
    assert.ok(seen?.lastSeenAt && Date.now() - Date.parse(seen.lastSeenAt) < 60_000, `last seen now: ${seen?.lastSeenAt}`);

    assert.deepEqual(await host.revokeTraineeAccess(traineeId), { revokedTokens: 1, cancelledInvites: 0 });
    const [revoked] = await host.getTraineeAccess();
    assert.equal(revoked?.devices, 0);
    assert.equal(revoked?.invited, null);
    await until('the phone to be signed out', () => phone.engine.getState().error?.code === 'unauthorized');
    const probe = await probeServer(bed.srv.url, token);
    assert.equal(probe.ok, false);
    assert.equal(!probe.ok && probe.error, 'unauthorized');
    await phone.engine.stop();
    phone.store.close();

    // Revoking also cancels a pending invite: its link then fails (410 cancelled).
    const second = await host.inviteTrainee(traineeId);
    assert.deepEqual(await host.revokeTraineeAccess(traineeId), { revokedTokens: 0, cancelledInvites: 1 });
    const late = await join_(second.code);
    assert.deepEqual([late.status, late.body.error], [410, 'cancelled']);
  });

  test('a client the server does not know, and one gone from here, are refused in words', async () => {
    const { host } = await signedInCoach('Cleo');
    await synced(host);
    await assert.rejects(host.inviteTrainee(id()), refusedWith(/^this client no longer exists$/));
    await assert.rejects(host.revokeTraineeAccess(id()), refusedWith(/^this client is not on the sync server yet \(added while offline and not synced\?\)/));
  });

  test('offline: each call says it needs a connection to the sync server', async () => {
    const coach = bed.srv.addCoach('Offline');
    const host = resumedHost('offline', { serverUrl: 'ws://127.0.0.1:9/sync', userId: coach.userId, role: 'coach', token: coach.token });
    const traineeId = await host.saveTrainee({ name: 'Dana' });
    await assert.rejects(host.inviteTrainee(traineeId), (e: unknown) => e instanceof HostError && e.message === 'Inviting needs a connection to the sync server: you are offline. Try again when connected.');
    await assert.rejects(host.getTraineeAccess(), refusedWith(/^Checking app access needs a connection to the sync server: you are offline\./));
    await assert.rejects(host.revokeTraineeAccess(traineeId), refusedWith(/^Revoking access needs a connection to the sync server: you are offline\./));
    // Through the boundary, the page gets the same message as a refusal.
    assert.deepEqual(await callHost(host, 'inviteTrainee', [traineeId], () => assert.fail('nothing is logged')), {
      ok: false,
      error: { code: 'refused', message: 'Inviting needs a connection to the sync server: you are offline. Try again when connected.' },
    });
  });

  test('a trainee session is refused, without asking the server', async () => {
    const { host: coachHost } = await signedInCoach('Eli');
    const traineeId = await coachHost.saveTrainee({ name: 'Finn' });
    await synced(coachHost);
    const { token } = bed.srv.addTraineeToken(traineeId);
    const host = resumedHost('trainee', { serverUrl: bed.srv.url, userId: traineeId, role: 'trainee', token });
    await assert.rejects(host.getTraineeAccess(), refusedWith(/^Only a coach may invite clients and manage their access/));
    await assert.rejects(host.revokeTraineeAccess(traineeId), refusedWith(/^Only a coach may/));
  });

  test('not signed in, and bad parameters through the boundary, which name the field', async () => {
    const host = newHost('nobody');
    await assert.rejects(host.getTraineeAccess(), refusedWith(/^sign in first$/));
    const log = () => assert.fail('nothing is logged');
    assert.deepEqual(await callHost(host, 'inviteTrainee', ['ben'], log), { ok: false, error: { code: 'invalid', message: 'traineeId must be a UUID', field: 'traineeId' } });
    assert.deepEqual(await callHost(host, 'revokeTraineeAccess', [42], log), { ok: false, error: { code: 'invalid', message: 'traineeId must be text, not a number', field: 'traineeId' } });
    assert.deepEqual(await callHost(host, 'getTraineeAccess', [id()], log), { ok: false, error: { code: 'invalid', message: 'getTraineeAccess takes no parameters, not 1', field: undefined } });
  });

  test('every refusal of the server has a message for the coach', () => {
    const say = (code: SyncRequestError['code'], method: 'invite.create' | 'access.list' | 'access.revoke' = 'invite.create') => accessErrorMessage(method, new SyncRequestError(code, 'why'), 'Ben');
    assert.equal(say('offline'), 'Inviting needs a connection to the sync server: you are offline. Try again when connected.');
    assert.match(say('not_found'), /^Ben is not on the sync server yet/);
    assert.match(say('timeout', 'access.list'), /^Checking app access needs the sync server, which did not answer in time/);
    assert.match(say('unavailable'), /^The sync server is busy right now \(why\)/);
    assert.match(say('forbidden'), /only a coach may/);
    assert.equal(say('invalid'), 'The sync server refused the request: why');
  });
});
