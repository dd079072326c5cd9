// The engine's requests to the server (invites and device access), over a real server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SyncRequestError } from '../../sync/sync-engine.ts';
import { id, openClient, startServer, tempDir, until, type TestServer } from '../helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let srv: TestServer;
before(async () => {
  tmp = tempDir('coachdesk-requests-');
  srv = await startServer(tmp.dir);
});
after(async () => {
  await srv.close();
  tmp.cleanup();
});

describe('requests', () => {
  test('a coach invites their trainee, lists access and revokes it; errors come back as SyncRequestError', async () => {
    const coach = srv.addCoach('Ana');
    const c = openClient(tmp.dir, srv.url, coach.token, `req-${id()}`);
    await assert.rejects(c.engine.request('access.list', {}), (e: unknown) => e instanceof SyncRequestError && e.code === 'offline');
    c.engine.start();
    await until('synced', () => c.engine.getState().connection === 'synced');
    const traineeId = id();
    c.engine.enqueue({ entity: 'trainee', id: traineeId, action: 'put', fields: { coachId: coach.userId, name: 'Ben' } });
    // Asked right after the push: the server answers after applying it, so the trainee is found.
    const invite = await c.engine.request('invite.create', { traineeId });
    assert.match(invite.url, new RegExp(`/join#${invite.code}$`));
    const access = await c.engine.request('access.list', {});
    assert.deepEqual(access.trainees.map((t) => [t.traineeId, t.devices, t.invite?.expiresAt]), [[traineeId, 0, invite.expiresAt]]);
    await assert.rejects(c.engine.request('invite.create', { traineeId: id() }), (e: unknown) => e instanceof SyncRequestError && e.code === 'not_found');
    await assert.rejects(c.engine.request('invite.create', { traineeId: 'nope' }), (e: unknown) => e instanceof SyncRequestError && e.code === 'invalid' && /traineeId/.test(e.message));
    const revoked = await c.engine.request('access.revoke', { traineeId });
    assert.deepEqual(revoked, { revokedTokens: 0, cancelledInvites: 1 });
    assert.equal(c.engine.getState().connection, 'synced', 'requests leave the op stream alone');

    const trainee = srv.addTraineeToken(traineeId);
    const t = openClient(tmp.dir, srv.url, trainee.token, `req-t-${id()}`);
    t.engine.start();
    await until('trainee synced', () => t.engine.getState().connection === 'synced');
    await assert.rejects(t.engine.request('access.list', {}), (e: unknown) => e instanceof SyncRequestError && e.code === 'forbidden');
    await t.engine.stop();
    await c.engine.stop();
    await assert.rejects(c.engine.request('access.list', {}), (e: unknown) => e instanceof SyncRequestError && e.code === 'offline');
    t.store.close();
    c.store.close();
  });
});
