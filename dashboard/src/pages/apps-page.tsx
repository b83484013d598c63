import { useState } from 'react';
import type { AppInfo, BatchInfo, Deployment } from '../../../client/src/index.js';
import { DeploymentEditor } from '../apps/deployment-editor.js';
import { EMPTY_FORM, formOf } from '../apps/deployment-form-state.js';
import { navigate } from '../router.js';
import { ErrorMessage, fromMillis, TableHead, useAction, useAsync, useSession } from '../ui.js';

export default function AppsPage() {
  const { client } = useSession();
  const apps = useAsync(() => client.apps.list({ limit: 200 }), [client]);
  const deployments = useAsync(() => client.apps.deployments.list({ limit: 200 }), [client]);
  const batches = useAsync(() => client.batches.list({ limit: 100 }), [client]);
  const [selected, setSelected] = useState<string>();
  const [editing, setEditing] = useState<Deployment | 'new'>();
  const [secret, setSecret] = useState<string>();
  const action = useAction();
  const appList = apps.value?.apps ?? ([] as AppInfo[]);
  const names = new Map(appList.map((a) => [a.id, a.name]));

  return (
    <section aria-labelledby="apps-title">
      <h1 id="apps-title">Apps and deployments</h1>
      <ErrorMessage error={apps.error ?? deployments.error} />
      <div className="two-col">
        <div>
          <h2>Apps</h2>
          <table aria-label="Apps">
            <TableHead columns={['App', 'Newest']} />
            <tbody>
              {appList.map((a) => (
                <tr key={a.id} aria-selected={a.id === selected}>
                  <td>
                    <button type="button" onClick={() => setSelected(a.id)}>
                      {a.name}
                    </button>
                    <div className="hint">{a.description}</div>
                  </td>
                  <td>{a.latest_version ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>{selected && <AppVersions key={selected} appId={selected} />}</div>
      </div>

      <h2>Deployments</h2>
      {secret && (
        <div className="panel" role="status">
          <p>The webhook signing secret, shown this once:</p>
          <p className="secret-once">{secret}</p>
          <button type="button" onClick={() => setSecret(undefined)}>
            I have stored it
          </button>
        </div>
      )}
      <div className="actions">
        <button type="button" onClick={() => setEditing('new')}>
          New deployment
        </button>
      </div>
      {editing && (
        <DeploymentEditor
          key={editing === 'new' ? 'new' : editing.id}
          initial={editing === 'new' ? EMPTY_FORM : formOf(editing)}
          editing={editing !== 'new'}
          apps={appList}
          error={action.error}
          busy={action.busy}
          onCancel={() => setEditing(undefined)}
          onSubmit={(body) =>
            void action.run(async () => {
              const saved =
                editing === 'new'
                  ? await client.apps.deployments.create(body)
                  : await client.apps.deployments.update(editing.id, {
                      name: body.name,
                      version: body.version,
                      workspace: body.workspace,
                      keys: body.keys,
                      review_policy: body.review_policy,
                      webhooks: body.webhooks,
                      concurrency_limit: body.concurrency_limit,
                    });
              if (saved.webhook_secret) setSecret(saved.webhook_secret);
              setEditing(undefined);
              deployments.reload();
            })
          }
        />
      )}
      <div className="table-wrap">
        <table aria-label="Deployments">
          <TableHead
            columns={[
              'Deployment',
              'App',
              'Review policy',
              'Webhooks',
              'Run on a batch',
              'Actions',
            ]}
          />
          <tbody>
            {(deployments.value?.deployments ?? []).map((d) => (
              <tr key={d.id}>
                <td>
                  {d.name}
                  <div className="hint">updated {fromMillis(d.updated_at_ms)}</div>
                </td>
                <td>
                  {names.get(d.app_id) ?? d.app_id} {d.version ?? '(newest)'}
                </td>
                <td>{d.review_policy ?? "app's own"}</td>
                <td>{d.webhooks.map((w) => w.url).join(', ') || '—'}</td>
                <td>
                  <RunOnBatch
                    deployment={d}
                    batches={batches.value?.batches ?? []}
                    onError={action.setError}
                  />
                </td>
                <td className="actions">
                  <button type="button" onClick={() => setEditing(d)} aria-label={`Edit ${d.name}`}>
                    Edit
                  </button>
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Delete ${d.name}`}
                    onClick={() =>
                      void action.run(async () => {
                        if (!confirm(`Delete deployment ${d.name}? Its runs stay.`)) return;
                        await client.apps.deployments.delete(d.id);
                        deployments.reload();
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
      </div>
      {!editing && <ErrorMessage error={action.error} />}
    </section>
  );
}

function AppVersions({ appId }: { appId: string }) {
  const { client } = useSession();
  const versions = useAsync(() => client.apps.versions(appId), [client, appId]);
  return (
    <div className="panel">
      <h2>Versions</h2>
      <ErrorMessage error={versions.error} />
      {(versions.value?.versions ?? []).map((v) => (
        <details key={v.version} open={v === versions.value?.versions[0]}>
          <summary>
            {v.version} · {v.runtime} · published by {v.created_by} {fromMillis(v.created_at_ms)}
          </summary>
          <pre aria-label={`Manifest of ${v.version}`}>{JSON.stringify(v.manifest, null, 2)}</pre>
        </details>
      ))}
    </div>
  );
}

function RunOnBatch(props: {
  deployment: Deployment;
  batches: readonly BatchInfo[];
  onError: (e: unknown) => void;
}) {
  const { client } = useSession();
  const [batch, setBatch] = useState('');
  return (
    <form
      className="actions"
      onSubmit={(e) => {
        e.preventDefault();
        client.apps.deployments
          .run(props.deployment.id, { batch_id: Number(batch) })
          .then((run) => navigate(`/runs/${encodeURIComponent(run.id)}`), props.onError);
      }}
    >
      <select
        aria-label={`Batch for ${props.deployment.name}`}
        value={batch}
        onChange={(e) => setBatch(e.target.value)}
        required
      >
        <option value="">Batch…</option>
        {props.batches.map((b) => (
          <option key={b.id} value={b.id}>
            {b.name} (#{b.id})
          </option>
        ))}
      </select>
      <button type="submit" disabled={!batch} aria-label={`Run ${props.deployment.name}`}>
        Run
      </button>
    </form>
  );
}
