import { useState, type FormEvent } from 'react';
import type { AppInfo, Deployment, Run, Runbox } from '../../../client/src/index.js';
import { ErrorMessage, useAction } from '../ui.js';

/** Starts a run over a batch: of an app (its newest version) or of a deployment. */
export function StartRunForm(props: {
  client: Runbox;
  batchId: number;
  apps: readonly AppInfo[];
  deployments: readonly Deployment[];
  onStarted(run: Run): void;
}) {
  const [target, setTarget] = useState('');
  const [tags, setTags] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const [kind, id] = target.split(':') as [string, string];
    const tagList = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    void action.run(async () => {
      const settings = tagList.length > 0 ? { settings: { tags: tagList } } : {};
      const run =
        kind === 'deployment'
          ? await props.client.apps.deployments.run(id, { batch_id: props.batchId, ...settings })
          : await props.client.apps.runs.create({
              app_id: id,
              batch_id: props.batchId,
              ...settings,
            });
      props.onStarted(run);
    });
  };
  return (
    <form className="panel filters" onSubmit={submit} aria-label="Start a run">
      <label>
        Run with
        <select value={target} onChange={(e) => setTarget(e.target.value)} required>
          <option value="">Choose an app or deployment</option>
          <optgroup label="Apps">
            {props.apps.map((a) => (
              <option key={a.id} value={`app:${a.id}`}>
                {a.name}
              </option>
            ))}
          </optgroup>
          <optgroup label="Deployments">
            {props.deployments.map((d) => (
              <option key={d.id} value={`deployment:${d.id}`}>
                {d.name}
              </option>
            ))}
          </optgroup>
        </select>
      </label>
      <label>
        Tags
        <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="optional" />
      </label>
      <button type="submit" className="primary" disabled={!target || action.busy}>
        Start run
      </button>
      <ErrorMessage error={action.error} />
    </form>
  );
}
