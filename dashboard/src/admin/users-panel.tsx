import { useState, type FormEvent } from 'react';
import type { OrgUser } from '../../../client/src/index.js';
import { ErrorMessage, fromMillis, TableHead, useAction, useAsync, useSession } from '../ui.js';

/** People and service accounts of the org; picking one shows its tokens. */
export function UsersPanel(props: { selected?: string; onSelect: (id: string) => void }) {
  const { client } = useSession();
  const users = useAsync(() => client.admin.users(), [client]);
  const [id, setId] = useState('');
  const [kind, setKind] = useState<OrgUser['kind']>('user');
  const [role, setRole] = useState<OrgUser['role']>('member');
  const action = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await client.admin.createUser({ id: id.trim(), kind, role });
      setId('');
      users.reload();
    });
  };
  return (
    <div className="panel">
      <h2>Users and service accounts</h2>
      <ErrorMessage error={users.error} />
      <table aria-label="Users">
        <TableHead columns={['User', 'Kind', 'Role', 'Created']} />
        <tbody>
          {(users.value?.users ?? []).map((u) => (
            <tr key={u.id} aria-selected={u.id === props.selected}>
              <td>
                <button
                  type="button"
                  onClick={() => props.onSelect(u.id)}
                  aria-label={`Tokens of ${u.id}`}
                >
                  {u.id}
                </button>
                {u.display_name ? <div className="hint">{u.display_name}</div> : null}
              </td>
              <td>{u.kind === 'service' ? 'service account' : 'person'}</td>
              <td>{u.role}</td>
              <td>{fromMillis(u.created_at_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="filters" onSubmit={create} aria-label="New user">
        <label>
          New user id
          <input value={id} onChange={(e) => setId(e.target.value)} required maxLength={128} />
        </label>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as OrgUser['kind'])}>
            <option value="user">Person</option>
            <option value="service">Service account</option>
          </select>
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as OrgUser['role'])}>
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" disabled={action.busy || !id.trim()}>
          Create user
        </button>
      </form>
      <ErrorMessage error={action.error} />
    </div>
  );
}
