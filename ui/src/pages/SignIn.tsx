import { useState } from 'preact/hooks';
import { api, session } from '../api';
import { errorText } from '../components/ui';
import type { Me } from '../types';

/** Sign-in with an API key; the key is kept in sessionStorage only. */
export function SignIn({ error, onSignedIn }: { error: string; onSignedIn: (me: Me) => void }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(error);

  const submit = async (e: Event) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) {
      setErr('Enter an API key.');
      return;
    }
    setBusy(true);
    setErr('');
    try {
      session.setTenant(null);
      const me = await api.me(k);
      session.signIn(k);
      onSignedIn(me);
    } catch (e) {
      setErr(errorText(e, 'Sign-in failed'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <form class="card signin-card" onSubmit={submit} aria-describedby="signin-help">
        <h1>
          <span aria-hidden="true" class="brand-mark">
            K
          </span>{' '}
          Sign in to Kiln
        </h1>
        <p id="signin-help" class="muted">
          Use an API key of your tenant (admin, developer or viewer), or the operator key. The key stays in this browser
          tab only and is forgotten when the tab closes.
        </p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-invalid={err ? true : undefined}
          aria-describedby={err ? 'signin-error' : undefined}
          placeholder="kiln_…"
        />
        <div role="alert" id="signin-error" class="field-error">
          {err}
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
