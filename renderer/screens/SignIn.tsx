import { useState, type FormEvent } from 'react';
import { useActions, useApp } from '../store/context.tsx';
import type { SignInErrorCode } from '../store/app-store.ts';

const ERROR_TITLE: Record<SignInErrorCode, string> = {
  unauthorized: 'The server did not accept this token',
  unreachable: 'Cannot reach the server',
  invalid: 'Check the server address and token',
  not_a_coach: 'This token is not a coach’s',
  damaged_database: 'This computer’s CoachDesk database is damaged',
  newer_database: 'This computer’s CoachDesk database is from a newer CoachDesk',
  error: 'Could not sign in',
};

export const DEFAULT_SERVER_URL = 'ws://127.0.0.1:8787/sync';

export function SignIn() {
  const session = useApp((s) => s.session);
  const form = useApp((s) => s.signInForm);
  const { signIn } = useActions();
  const [serverUrl, setServerUrl] = useState(session?.serverUrl ?? DEFAULT_SERVER_URL);
  const [token, setToken] = useState('');
  const [missing, setMissing] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (form.busy) return;
    if (!serverUrl.trim()) return setMissing('Enter your sync server’s address, e.g. ws://127.0.0.1:8787/sync.');
    if (!token.trim()) return setMissing('Enter the token your server gave you.');
    setMissing(null);
    void signIn(serverUrl, token);
  };
  const error = missing ? { title: 'Almost there', message: missing } : form.error ? { title: ERROR_TITLE[form.error.code] ?? ERROR_TITLE.error, message: form.error.message } : null;

  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-label="Sign in" noValidate>
        <div className="brand signin-brand">
          <span className="brand-mark" aria-hidden="true">
            CD
          </span>
          <span className="brand-name">CoachDesk</span>
        </div>
        <h1>Sign in to your sync server</h1>
        <p className="muted">Your programs live on this computer and sync to the server whenever there is a connection.</p>
        <label className="field">
          <span>Server URL</span>
          <input type="text" inputMode="url" name="serverUrl" value={serverUrl} onChange={(e) => setServerUrl(e.target.value)} spellCheck={false} autoComplete="url" />
        </label>
        <label className="field">
          <span>Token</span>
          <input
            type="password"
            name="token"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            spellCheck={false}
            autoComplete="current-password"
            aria-invalid={(!missing && form.error?.code === 'unauthorized') || undefined}
            aria-describedby={error ? 'signin-error' : undefined}
          />
        </label>
        {error && (
          <div className="signin-error" id="signin-error" role="alert">
            <strong>{error.title}</strong>
            <span>{error.message}</span>
          </div>
        )}
        <button type="submit" className="primary wide" disabled={form.busy}>
          {form.busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="hint">Ask your server’s administrator for a coach token (<code>npm run server -- add-coach</code>).</p>
      </form>
    </main>
  );
}
