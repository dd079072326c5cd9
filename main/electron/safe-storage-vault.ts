import { safeStorage } from 'electron';
import type { TokenVault } from '../host/saved-session.ts';

/** Seals the sync token with the OS keychain through Electron's safeStorage. */
export function safeStorageVault(): TokenVault {
  if (!safeStorage.isEncryptionAvailable()) throw new Error('the OS keychain is not available to keep the sync token');
  return {
    kind: 'electron-safeStorage',
    seal: (token) => safeStorage.encryptString(token).toString('base64'),
    open: (sealed) => safeStorage.decryptString(Buffer.from(sealed, 'base64')),
  };
}
