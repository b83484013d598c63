import { useState } from 'react';
import { SecretsPanel } from '../admin/secrets-panel.js';
import { TokensPanel } from '../admin/tokens-panel.js';
import { UsersPanel } from '../admin/users-panel.js';
import { WorkspacesPanel } from '../admin/workspaces-panel.js';
import { isAdmin, useSession } from '../ui.js';

export default function AdminPage() {
  const { me } = useSession();
  const [user, setUser] = useState<string>();
  if (!isAdmin(me)) {
    return (
      <p role="alert" className="error">
        Only org admins may see this page.
      </p>
    );
  }
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      <div className="two-col">
        <UsersPanel selected={user} onSelect={setUser} />
        {user ? (
          <TokensPanel key={user} userId={user} />
        ) : (
          <p className="hint">Pick a user to see its tokens.</p>
        )}
      </div>
      <div className="two-col">
        <WorkspacesPanel />
        <SecretsPanel />
      </div>
    </section>
  );
}
