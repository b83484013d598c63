import { useState, type FormEvent } from 'react';
import { ErrorMessage, fromMillis, TableHead, useAction, useAsync, useSession } from '../ui.js';

/** A user's tokens: create one (its value shown once), revoke. */
export function TokensPanel({ userId }: { userId: string }) {
  const { client } = useSession();
  const tokens = useAsync(() => client.admin.tokens(userId), [client, userId]);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string>();
  const action = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const t = await client.admin.createToken(userId, name.trim() ? { name: name.trim() } : {});
      setCreated(t.token);
      setName('');
      tokens.reload();
    });
  };
  return (
    <div className="panel">
      <h2>Tokens of {userId}</h2>
      {created && (
        <div role="status">
          <p>The new token, shown this once — copy it now:</p>
          <p className="secret-once" data-testid="new-token">
            {created}
          </p>
          <button type="button" onClick={() => setCreated(undefined)}>
            I have copied it
          </button>
        </div>
      )}
      <ErrorMessage error={tokens.error ?? action.error} />
      <table aria-label="Tokens">
        <TableHead columns={['Name', 'Created', 'Expires', 'State']} />
        <tbody>
          {(tokens.value?.tokens ?? []).map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{fromMillis(t.created_at_ms)}</td>
              <td>{t.expires_at_ms ? fromMillis(t.expires_at_ms) : 'never'}</td>
              <td>
                {t.revoked_at_ms ? (
                  `revoked ${fromMillis(t.revoked_at_ms)}`
                ) : (
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Revoke token ${t.name}`}
                    onClick={() =>
                      void action.run(async () => {
                        await client.admin.revokeToken(t.id);
                        tokens.reload();
                      })
                    }
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="filters" onSubmit={create} aria-label="New token">
        <label>
          New token name
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={255} />
        </label>
        <button type="submit" disabled={action.busy}>
          Create token
        </button>
      </form>
    </div>
  );
}
