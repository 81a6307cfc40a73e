import { useState, type FormEvent } from 'react';
import type { Session } from '../lib/auth.js';
import { verifyKey } from '../lib/verify-key.js';

export interface LoginPageProps {
  /** Called with the verified key and who it belongs to. */
  onLogin(key: string, session: Omit<Session, 'logout' | 'key'>): void;
  /** Why the user is here again (e.g. a stored key stopped working). */
  notice?: string;
}

export function LoginPage({ onLogin, notice }: LoginPageProps) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!key.trim()) {
      setError('Enter an admin key (it starts with bk_).');
      return;
    }
    setBusy(true);
    setError(null);
    const check = await verifyKey(key.trim());
    setBusy(false);
    if (check.ok) onLogin(key.trim(), check.session);
    else setError(check.message);
  }

  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title" noValidate>
        <h1 id="login-title">Backstop console</h1>
        <p>Sign in with an admin or viewer API key. It is kept in this tab's session storage only.</p>
        {notice && !error && <p className="notice">{notice}</p>}
        <label htmlFor="admin-key">API key</label>
        <input
          id="admin-key"
          name="key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'login-error' : undefined}
          autoFocus
        />
        {error && (
          <p id="login-error" className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
