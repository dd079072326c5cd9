// What a file of host tests shares: a sync server in a temporary folder, and the hosts its tests
// open on it, closed after them.
import { join } from 'node:path';
import { after, before } from 'node:test';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import { startServer, tempDir, type TestServer } from '../helpers.ts';

export interface HostBed {
  /** The temporary folder (from the file's `before` on). */
  readonly dir: string;
  /** The sync server (from the file's `before` on). */
  readonly srv: TestServer;
  /** A started host whose data folder is `folder` in the temporary folder; closed after the file's tests. */
  newHost(folder: string): CoachDeskHost;
  /** Has `host` (one a test made itself) closed after the file's tests, with the others. */
  track(host: CoachDeskHost): CoachDeskHost;
}

/**
 * Registers the file's `before` (a temporary folder named `prefix`…, a sync server in it) and
 * `after` (the hosts, then the server, then the folder).
 */
export function hostBed(prefix: string): HostBed {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let srv: TestServer | undefined;
  const hosts: CoachDeskHost[] = [];
  before(async () => {
    tmp = tempDir(prefix);
    srv = await startServer(tmp.dir);
  });
  after(async () => {
    for (const h of hosts) await h.close();
    await srv?.close();
    tmp?.cleanup();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the host bed is used before its before() hook ran');
    return value;
  };
  const track = (host: CoachDeskHost) => {
    hosts.push(host);
    return host;
  };
  return {
    get dir() {
      return ready(tmp).dir;
    },
    get srv() {
      return ready(srv);
    },
    newHost(folder) {
      const host = track(new CoachDeskHost(join(ready(tmp).dir, folder), fileModeVault));
      host.start();
      return host;
    },
    track,
  };
}
