import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Keeps the sync token at rest. The desktop app uses Electron's safeStorage (the OS keychain);
 * the web shell, which has no keychain, stores it in a file only its user can read.
 */
export interface TokenVault {
  readonly kind: string;
  seal(token: string): string;
  open(sealed: string): string;
}

export const fileModeVault: TokenVault = {
  kind: 'file-0600',
  seal: (token) => token,
  open: (sealed) => sealed,
};

export interface SavedSession {
  serverUrl: string;
  userId: string;
  role: 'coach' | 'trainee';
  token: string;
}

interface SessionFile {
  serverUrl: string;
  userId: string;
  role: 'coach' | 'trainee';
  vault: string;
  sealedToken: string;
}

/** The signed-in session of one data folder, so the app starts (offline too) already signed in. */
export class SessionFileStore {
  private readonly file: string;
  constructor(
    dataDir: string,
    private readonly vault: TokenVault,
  ) {
    this.file = join(dataDir, 'session.json');
  }

  load(): SavedSession | null {
    if (!existsSync(this.file)) return null;
    const saved = JSON.parse(readFileSync(this.file, 'utf8')) as SessionFile;
    if (saved.vault !== this.vault.kind) return null; // sealed by another vault: sign in again
    return { serverUrl: saved.serverUrl, userId: saved.userId, role: saved.role, token: this.vault.open(saved.sealedToken) };
  }

  save(session: SavedSession): void {
    const data: SessionFile = { serverUrl: session.serverUrl, userId: session.userId, role: session.role, vault: this.vault.kind, sealedToken: this.vault.seal(session.token) };
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}
