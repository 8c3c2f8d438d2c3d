// The shell: sign-in, the header with the tenant and role, navigation, and
// the page for the current path.
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { api, session, setUnauthorizedHandler } from './api';
import { Link, match, navigate, useLocation } from './router';
import { announce, announceError, clearNotices, errorText, Loading, Notices, pruneNotices, useFocusHeading } from './components/ui';
import type { Me, Tenant } from './types';
import { SignIn } from './pages/SignIn';
import { ScriptsPage } from './pages/Scripts';
import { ScriptPage } from './pages/Script';
import { ExecutionsPage } from './pages/Executions';
import { ExecutionPage } from './pages/Execution';
import { DeadLettersPage, DeadLetterPage } from './pages/DeadLetters';
import { ChooseTenant } from './pages/ChooseTenant';

export const MeContext = createContext<Me | null>(null);
export const useMe = () => useContext(MeContext)!;

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(!!session.key);
  const [signInError, setSignInError] = useState('');
  // Changing tenant remounts the page so that nothing of the old one stays.
  const [epoch, setEpoch] = useState(0);

  useEffect(() => {
    setUnauthorizedHandler((message) => {
      session.signOut();
      setMe(null);
      setSignInError(`Signed out: ${message}`);
    });
    if (!session.key) return;
    api
      .me()
      .then(setMe)
      .catch((err) => {
        session.signOut();
        setSignInError(errorText(err, 'The saved key did not work'));
      })
      .finally(() => setChecking(false));
  }, []);

  if (checking) return <Loading what="your session" />;
  if (!me) {
    return (
      <SignIn
        error={signInError}
        onSignedIn={(m) => {
          setSignInError('');
          setMe(m);
        }}
      />
    );
  }

  const switchTenant = async (slug: string | null) => {
    session.setTenant(slug);
    try {
      const m = await api.me();
      setMe(m);
      setEpoch((e) => e + 1);
      clearNotices();
      announce('info', m.tenant ? `Now acting in tenant ${m.tenant.name} (${m.tenant.slug}) as ${m.role}.` : 'No tenant chosen.');
      navigate('/scripts');
    } catch (err) {
      session.setTenant(null);
      announceError(err, `Could not switch to tenant ${slug}`);
    }
  };

  const signOut = () => {
    session.signOut();
    clearNotices();
    setMe(null);
    setSignInError('');
  };

  return (
    <MeContext.Provider value={me}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header me={me} onSwitch={switchTenant} onSignOut={signOut} />
      <main id="main" tabIndex={-1}>
        <Notices />
        <Routes key={epoch} me={me} onSwitch={switchTenant} />
      </main>
    </MeContext.Provider>
  );
}

function Header({ me, onSwitch, onSignOut }: { me: Me; onSwitch: (slug: string | null) => void; onSignOut: () => void }) {
  const { path } = useLocation();
  const [tenants, setTenants] = useState<Tenant[] | null>(null);
  useEffect(() => {
    if (!me.operator) return;
    api
      .tenants()
      .then((r) => setTenants(r.tenants ?? []))
      .catch((err) => announceError(err, 'Could not list tenants'));
  }, [me.operator]);

  const nav = [
    { href: '/scripts', label: 'Scripts' },
    { href: '/executions', label: 'Executions' },
    { href: '/dlq', label: 'Dead letters' },
  ];
  return (
    <header class="topbar">
      <Link href="/scripts" class="brand">
        <span aria-hidden="true" class="brand-mark">
          K
        </span>
        Kiln
      </Link>
      <nav aria-label="Main">
        <ul>
          {nav.map((n) => (
            <li key={n.href}>
              <Link href={n.href} aria-current={path.startsWith(n.href) ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who" data-testid="who">
        {me.operator ? (
          <label class="tenant-switch">
            <span>Tenant</span>
            <select
              value={me.tenant?.slug ?? ''}
              onChange={(e) => onSwitch((e.target as HTMLSelectElement).value || null)}
              disabled={tenants === null}
            >
              <option value="">(none: operator)</option>
              {(tenants ?? []).map((t) => (
                <option key={t.id} value={t.slug}>
                  {t.name} ({t.slug})
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span class="tenant-name">
            <span class="muted">Tenant</span> {me.tenant?.name ?? '—'}
          </span>
        )}
        <span class="role" data-testid="role">
          <span class="muted">Role</span> {me.operator ? (me.tenant ? 'operator (as admin)' : 'operator') : me.role}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}

function Routes({ me, onSwitch }: { me: Me; onSwitch: (slug: string | null) => void }) {
  const loc = useLocation();
  const { path } = loc;
  useFocusHeading(path);

  useEffect(() => {
    if (path === '/' || path === '') navigate('/scripts', true);
    // Messages from the page being left go; ones just made (such as
    // "version 1 created" before moving to the new script's page) stay.
    pruneNotices(2000);
  }, [path]);

  if (me.operator && !me.tenant) return <ChooseTenant onChoose={onSwitch} />;

  let m: Record<string, string> | null;
  if (path === '/' || match('/scripts', path)) return <ScriptsPage />;
  if (match('/scripts/new', path)) return <ScriptPage id={null} tab="code" />;
  if ((m = match('/scripts/:id', path))) return <ScriptPage key={m.id} id={m.id} tab="code" />;
  if ((m = match('/scripts/:id/history', path))) return <ScriptPage key={m.id} id={m.id} tab="history" />;
  if ((m = match('/scripts/:id/run', path))) return <ScriptPage key={m.id} id={m.id} tab="run" />;
  if (match('/executions', path)) return <ExecutionsPage />;
  if ((m = match('/executions/:id', path))) return <ExecutionPage key={m.id} id={m.id} />;
  if (match('/dlq', path)) return <DeadLettersPage />;
  if ((m = match('/dlq/:id', path))) return <DeadLetterPage key={m.id} id={m.id} />;
  return (
    <section>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is no page at <code>{path}</code>. Go to the <Link href="/scripts">scripts</Link>.
      </p>
    </section>
  );
}
