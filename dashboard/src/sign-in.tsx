import { useState, type FormEvent } from 'react';
import type { CurrentUser } from '../../client/src/index.js';
import { clientFor, type Session } from './session.js';
import { ErrorMessage } from './ui.js';

/**
 * Sign-in with an API token. A user in several orgs then picks the context to act in (the
 * personal one is the default).
 */
export function SignIn(props: { onSignIn(s: Session, me: CurrentUser): void; error?: unknown }) {
  const [token, setToken] = useState('');
  const [me, setMe] = useState<CurrentUser>();
  const [context, setContext] = useState('');
  const [error, setError] = useState<unknown>(props.error);
  const [busy, setBusy] = useState(false);

  const submitToken = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const who = await clientFor({ token: token.trim(), context: undefined }).me();
      if (who.orgs.length > 1) {
        setMe(who);
        setContext(who.context.org_id);
      } else props.onSignIn({ token: token.trim(), context: undefined }, who);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const submitContext = async (e: FormEvent) => {
    e.preventDefault();
    if (!me) return;
    const personal = me.orgs.find((o) => o.org_id === context)?.personal ?? false;
    const s: Session = { token: token.trim(), context: personal ? undefined : context };
    setBusy(true);
    setError(undefined);
    try {
      props.onSignIn(s, await clientFor(s).me());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>Sign in to Runbox</h1>
      {!me ? (
        <form onSubmit={(e) => void submitToken(e)}>
          <label>
            API token
            <input
              type="password"
              autoComplete="off"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              required
            />
          </label>
          <button type="submit" disabled={busy || token.trim() === ''}>
            Sign in
          </button>
          <p className="hint">
            The token stays in this tab only (session storage) and is sent to this server alone.
          </p>
        </form>
      ) : (
        <form onSubmit={(e) => void submitContext(e)}>
          <fieldset>
            <legend>Act in which org?</legend>
            {me.orgs.map((o) => (
              <label key={o.org_id} className="choice">
                <input
                  type="radio"
                  name="context"
                  value={o.org_id}
                  checked={context === o.org_id}
                  onChange={() => setContext(o.org_id)}
                />
                {o.name} ({o.role}
                {o.personal ? ', personal' : ''})
              </label>
            ))}
          </fieldset>
          <button type="submit" disabled={busy}>
            Continue
          </button>
        </form>
      )}
      <ErrorMessage error={error} />
    </main>
  );
}
