import { useState, type FormEvent } from 'react';
import type { AppInfo } from '../../../client/src/index.js';
import { ErrorMessage } from '../ui.js';
import {
  bodyOf,
  REVIEW_POLICIES,
  WEBHOOK_EVENTS,
  type DeploymentForm,
} from './deployment-form-state.js';

/** Creates or edits a deployment: app and version, workspace, keys, review policy, webhooks. */
export function DeploymentEditor(props: {
  initial: DeploymentForm;
  apps: readonly AppInfo[];
  editing: boolean;
  error?: unknown;
  busy?: boolean;
  onSubmit: (body: Exclude<ReturnType<typeof bodyOf>, { error: string }>) => void;
  onCancel: () => void;
}) {
  const [f, setF] = useState(props.initial);
  const [problem, setProblem] = useState<string>();
  const set = <K extends keyof DeploymentForm>(k: K, v: DeploymentForm[K]) =>
    setF({ ...f, [k]: v });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = bodyOf(f);
    if ('error' in body) return setProblem(body.error);
    setProblem(undefined);
    props.onSubmit(body);
  };
  return (
    <form
      className="panel stack"
      onSubmit={submit}
      aria-label={props.editing ? 'Edit deployment' : 'New deployment'}
    >
      <h2>{props.editing ? `Edit ${props.initial.name}` : 'New deployment'}</h2>
      <label>
        Name
        <input value={f.name} onChange={(e) => set('name', e.target.value)} required />
      </label>
      <label>
        App
        <select
          value={f.appId}
          onChange={(e) => set('appId', e.target.value)}
          required
          disabled={props.editing}
        >
          <option value="">Choose an app</option>
          {props.apps.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Version (empty: the newest)
        <input value={f.version} onChange={(e) => set('version', e.target.value)} />
      </label>
      <label>
        Output workspace (empty: personal)
        <input value={f.workspace} onChange={(e) => set('workspace', e.target.value)} />
      </label>
      <label>
        Custom keys (JSON)
        <textarea
          rows={3}
          value={f.customKeys}
          onChange={(e) => set('customKeys', e.target.value)}
        />
      </label>
      <label>
        Secret keys (KEY=secret alias, one a line)
        <textarea
          rows={2}
          value={f.secretKeys}
          onChange={(e) => set('secretKeys', e.target.value)}
        />
      </label>
      <label>
        Review policy
        <select
          value={f.reviewPolicy}
          onChange={(e) => set('reviewPolicy', e.target.value as DeploymentForm['reviewPolicy'])}
        >
          {REVIEW_POLICIES.map((p) => (
            <option key={p} value={p}>
              {p || "The app's own"}
            </option>
          ))}
        </select>
      </label>
      <label>
        Concurrency limit (empty: none)
        <input
          inputMode="numeric"
          value={f.concurrency}
          onChange={(e) => set('concurrency', e.target.value)}
        />
      </label>
      <fieldset>
        <legend>Webhooks</legend>
        {f.webhooks.map((w, i) => (
          <div key={i} className="stack">
            <label>
              Webhook {i + 1} URL
              <input
                type="url"
                value={w.url}
                required
                onChange={(e) =>
                  set(
                    'webhooks',
                    f.webhooks.map((x, j) => (j === i ? { ...x, url: e.target.value } : x)),
                  )
                }
              />
            </label>
            <div className="actions">
              {WEBHOOK_EVENTS.map((ev) => (
                <label key={ev} className="choice">
                  <input
                    type="checkbox"
                    checked={w.events.includes(ev)}
                    onChange={(e) =>
                      set(
                        'webhooks',
                        f.webhooks.map((x, j) =>
                          j === i
                            ? {
                                ...x,
                                events: e.target.checked
                                  ? [...x.events, ev]
                                  : x.events.filter((y) => y !== ev),
                              }
                            : x,
                        ),
                      )
                    }
                  />
                  {ev}
                </label>
              ))}
              <button
                type="button"
                onClick={() =>
                  set(
                    'webhooks',
                    f.webhooks.filter((_, j) => j !== i),
                  )
                }
              >
                Remove webhook {i + 1}
              </button>
            </div>
          </div>
        ))}
        <button
          type="button"
          onClick={() =>
            set('webhooks', [...f.webhooks, { url: '', events: ['run.completed', 'run.failed'] }])
          }
        >
          Add webhook
        </button>
      </fieldset>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <ErrorMessage error={props.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={props.busy}>
          {props.editing ? 'Save deployment' : 'Create deployment'}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
