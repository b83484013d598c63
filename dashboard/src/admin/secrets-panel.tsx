import { useState, type FormEvent } from 'react';
import { ErrorMessage, fromMillis, TableHead, useAction, useAsync, useSession } from '../ui.js';

/** Org secrets by alias: values can be set, never read back. */
export function SecretsPanel() {
  const { client } = useSession();
  const secrets = useAsync(() => client.secrets.list(), [client]);
  const [alias, setAlias] = useState('');
  const [value, setValue] = useState('');
  const action = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await client.secrets.create({ alias: alias.trim(), value, allowed_workspaces_type: 'ALL' });
      setAlias('');
      setValue('');
      secrets.reload();
    });
  };
  return (
    <div className="panel">
      <h2>Secrets</h2>
      <ErrorMessage error={secrets.error ?? action.error} />
      <table aria-label="Secrets">
        <TableHead columns={['Alias', 'Workspaces', 'Updated', 'Actions']} />
        <tbody>
          {(secrets.value?.secrets ?? []).map((s) => (
            <tr key={s.alias}>
              <td>{s.alias}</td>
              <td>
                {s.allowed_workspaces_type === 'ALL' ? 'all' : s.allowed_workspaces.join(', ')}
              </td>
              <td>{fromMillis(s.updated_at)}</td>
              <td>
                <button
                  type="button"
                  className="danger"
                  aria-label={`Delete secret ${s.alias}`}
                  onClick={() =>
                    void action.run(async () => {
                      await client.secrets.delete(s.alias);
                      secrets.reload();
                    })
                  }
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="filters" onSubmit={create} aria-label="New secret">
        <label>
          Alias
          <input value={alias} onChange={(e) => setAlias(e.target.value)} required />
        </label>
        <label>
          Value
          <input
            type="password"
            autoComplete="off"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            required
          />
        </label>
        <button type="submit" disabled={action.busy}>
          Add secret
        </button>
      </form>
    </div>
  );
}
