import { useState, type FormEvent } from 'react';
import { ErrorMessage, fromMillis, TableHead, useAction, useAsync, useSession } from '../ui.js';

/** The org's workspaces: shared ones (created here) and each person's own. */
export function WorkspacesPanel() {
  const { client } = useSession();
  const workspaces = useAsync(() => client.admin.workspaces(), [client]);
  const [name, setName] = useState('');
  const action = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await client.admin.createWorkspace(name.trim());
      setName('');
      workspaces.reload();
    });
  };
  return (
    <div className="panel">
      <h2>Workspaces</h2>
      <ErrorMessage error={workspaces.error ?? action.error} />
      <table aria-label="Workspaces">
        <TableHead columns={['Workspace', 'Kind', 'Created']} />
        <tbody>
          {(workspaces.value?.workspaces ?? []).map((w) => (
            <tr key={w.id}>
              <td>{w.name}</td>
              <td>{w.owner_user_id ? `personal (${w.owner_user_id})` : 'shared'}</td>
              <td>{fromMillis(w.created_at_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="filters" onSubmit={create} aria-label="New workspace">
        <label>
          New shared workspace
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={128} />
        </label>
        <button type="submit" disabled={action.busy || !name.trim()}>
          Create workspace
        </button>
      </form>
    </div>
  );
}
