import { useState, type FormEvent } from 'react';
import type { BatchFileNode, BatchInfo } from '../../../client/src/index.js';
import { DropZone } from '../batches/drop-zone.js';
import { StartRunForm } from '../batches/start-run-form.js';
import { queued, uploadAll, type Upload } from '../batches/uploads.js';
import { navigate } from '../router.js';
import {
  bytes,
  ErrorMessage,
  fromMillis,
  TableHead,
  useAction,
  useAsync,
  useSession,
} from '../ui.js';

export default function BatchesPage() {
  const { client } = useSession();
  const batches = useAsync(() => client.batches.list({ limit: 100 }), [client]);
  const apps = useAsync(() => client.apps.list({ limit: 200 }), [client]);
  const deployments = useAsync(() => client.apps.deployments.list({ limit: 200 }), [client]);
  const [selected, setSelected] = useState<number>();
  const [name, setName] = useState('');
  const action = useAction();

  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const { id } = await client.batches.create({ name: name.trim() });
      setName('');
      batches.reload();
      setSelected(id);
    });
  };

  const list = batches.value?.batches ?? ([] as BatchInfo[]);
  return (
    <section aria-labelledby="batches-title">
      <h1 id="batches-title">Batches</h1>
      <form className="filters" onSubmit={create} aria-label="New batch">
        <label>
          New batch name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
        </label>
        <button type="submit" className="primary" disabled={action.busy || !name.trim()}>
          Create batch
        </button>
      </form>
      <ErrorMessage error={action.error ?? batches.error} />
      <div className="two-col">
        <div className="table-wrap">
          <table aria-label="Batches">
            <TableHead columns={['Batch', 'Workspace', 'Created']} />
            <tbody>
              {list.map((b) => (
                <tr key={b.id} aria-selected={b.id === selected}>
                  <td>
                    <button type="button" onClick={() => setSelected(b.id)}>
                      {b.name} (#{b.id})
                    </button>
                  </td>
                  <td>{b.workspace}</td>
                  <td>{fromMillis(b.created_at_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {selected !== undefined && (
          <BatchPanel
            key={selected}
            batch={list.find((b) => b.id === selected)}
            batchId={selected}
            onDeleted={() => {
              setSelected(undefined);
              batches.reload();
            }}
            apps={apps.value?.apps ?? []}
            deployments={deployments.value?.deployments ?? []}
          />
        )}
      </div>
    </section>
  );
}

function BatchPanel(props: {
  batchId: number;
  batch: BatchInfo | undefined;
  onDeleted(): void;
  apps: Parameters<typeof StartRunForm>[0]['apps'];
  deployments: Parameters<typeof StartRunForm>[0]['deployments'];
}) {
  const { client } = useSession();
  const { batchId } = props;
  const files = useAsync(async () => {
    const all: BatchFileNode[] = [];
    for await (const f of client.batches.files(batchId)) all.push(f);
    return all;
  }, [client, batchId]);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const action = useAction();

  const upload = (picked: File[]) => {
    const start = uploads.length;
    setUploads((us) => [...us, ...picked.map(queued)]);
    void uploadAll(client, batchId, picked, (i, u) =>
      setUploads((us) => us.map((x, j) => (j === start + i ? { ...x, ...u } : x))),
    ).then(() => files.reload());
  };

  return (
    <div className="panel" aria-label={`Batch ${batchId}`} role="region">
      <h2>{props.batch ? `${props.batch.name} (#${batchId})` : `Batch #${batchId}`}</h2>
      <DropZone onFiles={upload} />
      {uploads.length > 0 && (
        <ul aria-label="Uploads" className="uploads">
          {uploads.map((u, i) => (
            <li key={i}>
              {u.name} — {u.state}
              {u.multipart ? ' (in parts)' : ''}{' '}
              <progress
                max={u.size || 1}
                value={u.state === 'done' ? u.size || 1 : u.sent}
                aria-label={`Upload of ${u.name}`}
              />
              {u.error ? <span className="alert"> {u.error}</span> : null}
            </li>
          ))}
        </ul>
      )}
      <h3>Files</h3>
      <ErrorMessage error={files.error ?? action.error} />
      <table aria-label="Batch files">
        <tbody>
          {(files.value ?? []).map((f) => (
            <tr key={f.name}>
              <td>{f.name}</td>
              <td>{bytes(f.metadata.size)}</td>
              <td>
                <button
                  type="button"
                  aria-label={`Delete ${f.name}`}
                  onClick={() =>
                    void action.run(async () => {
                      await client.batches.deleteFile(batchId, f.name);
                      files.reload();
                    })
                  }
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
          {files.value?.length === 0 && (
            <tr>
              <td>No files yet.</td>
            </tr>
          )}
        </tbody>
      </table>
      <StartRunForm
        client={client}
        batchId={batchId}
        apps={props.apps}
        deployments={props.deployments}
        onStarted={(run) => navigate(`/runs/${encodeURIComponent(run.id)}`)}
      />
      <div className="actions">
        <button
          type="button"
          className="danger"
          onClick={() =>
            void action.run(async () => {
              if (!confirm(`Delete batch ${batchId} and its files?`)) return;
              const { job_id } = await client.batches.delete(batchId);
              await client.jobs.wait(job_id, { timeoutMs: 60_000 });
              props.onDeleted();
            })
          }
        >
          Delete batch
        </button>
      </div>
    </div>
  );
}
