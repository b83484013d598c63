import { lazy, Suspense, useCallback, useEffect, useState, type ReactNode } from 'react';
import type { Runbox } from '../../client/src/index.js';
import type { CurrentUser } from '../../client/src/index.js';
import { pageOf } from './page-names.js';
import { Link, navigate, useLocation } from './router.js';
import { clearSession, clientFor, loadSession, saveSession, type Session } from './session.js';
import { SignIn } from './sign-in.js';
import { ErrorMessage, isAdmin, SessionContext, type SignedIn } from './ui.js';

// One chunk per page, loaded when first opened.
const RunsPage = lazy(() => import('./pages/runs-page.js'));
const RunDetailPage = lazy(() => import('./pages/run-detail-page.js'));
const ReviewPage = lazy(() => import('./pages/review-page.js'));
const BatchesPage = lazy(() => import('./pages/batches-page.js'));
const AppsPage = lazy(() => import('./pages/apps-page.js'));
const AdminPage = lazy(() => import('./pages/admin-page.js'));

const NAV = [
  { to: '/runs', label: 'Runs' },
  { to: '/review', label: 'Review' },
  { to: '/batches', label: 'Batches' },
  { to: '/apps', label: 'Apps' },
];

function page(path: string): ReactNode {
  const second = path.split('/')[2];
  const name = pageOf(path);
  switch (name) {
    case 'runs':
      return second ? <RunDetailPage runId={decodeURIComponent(second)} /> : <RunsPage />;
    case 'review':
      return <ReviewPage runId={second ? decodeURIComponent(second) : undefined} />;
    case 'batches':
      return <BatchesPage />;
    case 'apps':
      return <AppsPage />;
    case 'admin':
      return <AdminPage />;
    case 'sign-in':
    case undefined:
      return <RunsPage />;
    default: {
      const never: never = name;
      return never;
    }
  }
}

export function App() {
  const { path } = useLocation();
  const [session, setSession] = useState<Session | undefined>(() => loadSession());
  const [signedIn, setSignedIn] = useState<{ client: Runbox; me: CurrentUser }>();
  const [error, setError] = useState<unknown>();

  // A token revoked or expired while the page is open ends the session.
  const onUnauthorized = useCallback(() => {
    clearSession();
    setSignedIn(undefined);
    setSession(undefined);
    setError(new Error('The session has ended: the API token is no longer valid.'));
  }, []);

  useEffect(() => {
    if (!session) return;
    const client = clientFor(session, { onUnauthorized });
    let live = true;
    client.me().then(
      (me) => live && setSignedIn({ client, me }),
      (err: unknown) => {
        if (!live) return;
        clearSession();
        setSession(undefined);
        setError(err);
      },
    );
    return () => {
      live = false;
    };
  }, [session, onUnauthorized]);

  const signOut = useCallback(() => {
    clearSession();
    setSignedIn(undefined);
    setSession(undefined);
    navigate('/sign-in');
  }, []);

  const onSignIn = useCallback(
    (s: Session, me: CurrentUser) => {
      saveSession(s);
      setError(undefined);
      setSignedIn({ client: clientFor(s, { onUnauthorized }), me });
      setSession(s);
      if (location.pathname === '/' || location.pathname.startsWith('/sign-in')) navigate('/runs');
    },
    [onUnauthorized],
  );

  if (!session || !signedIn) {
    if (session) return <p className="loading">Signing in…</p>;
    return <SignIn onSignIn={onSignIn} error={error} />;
  }
  const value: SignedIn = { ...signedIn, signOut };
  const { me } = signedIn;
  const current = me.orgs.find((o) => o.org_id === me.context.org_id);
  return (
    <SessionContext.Provider value={value}>
      <header className="top">
        <span className="brand">Runbox</span>
        <nav aria-label="Main">
          {[...NAV, ...(isAdmin(me) ? [{ to: '/admin', label: 'Admin' }] : [])].map((n) => (
            <Link key={n.to} to={n.to} aria-current={path.startsWith(n.to) ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <span className="who">
          {me.user_id} · {current?.name ?? me.context.org_id} ({me.context.role})
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        <ErrorMessage error={error} />
        <Suspense fallback={<p className="loading">Loading…</p>}>{page(path)}</Suspense>
      </main>
    </SessionContext.Provider>
  );
}
