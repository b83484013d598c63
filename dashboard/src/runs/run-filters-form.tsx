import { useState, type FormEvent } from 'react';
import type { AppInfo, Deployment } from '../../../client/src/index.js';
import { RANGES, STATUSES, type Range, type RunFilters } from './run-filters.js';

const RANGE_LABELS: Record<Range, string> = {
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  all: 'All time',
  custom: 'Custom…',
};

/** The runs list's filters; applied on submit. */
export function RunFiltersForm(props: {
  value: RunFilters;
  apps: readonly AppInfo[];
  deployments: readonly Deployment[];
  onApply(f: RunFilters): void;
}) {
  const [f, setF] = useState(props.value);
  const set = <K extends keyof RunFilters>(k: K, v: RunFilters[K]) => setF({ ...f, [k]: v });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onApply(f);
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Run filters">
      <label>
        App
        <select value={f.app} onChange={(e) => set('app', e.target.value)}>
          <option value="">Any app</option>
          {props.apps.map((a) => (
            <option key={a.id} value={a.name}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Deployment
        <select value={f.deployment} onChange={(e) => set('deployment', e.target.value)}>
          <option value="">Any deployment</option>
          {props.deployments.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      <fieldset className="statuses">
        <legend>Status</legend>
        {STATUSES.map((s) => (
          <label key={s} className="choice">
            <input
              type="checkbox"
              checked={f.status.includes(s)}
              onChange={(e) =>
                set('status', e.target.checked ? [...f.status, s] : f.status.filter((x) => x !== s))
              }
            />
            {s}
          </label>
        ))}
      </fieldset>
      <label>
        Tags
        <input
          value={f.tags}
          placeholder="tag, another"
          onChange={(e) => set('tags', e.target.value)}
        />
      </label>
      <label>
        Started by
        <input value={f.user} placeholder="user id" onChange={(e) => set('user', e.target.value)} />
      </label>
      <label>
        Time
        <select value={f.range} onChange={(e) => set('range', e.target.value as Range)}>
          {RANGES.map((r) => (
            <option key={r} value={r}>
              {RANGE_LABELS[r]}
            </option>
          ))}
        </select>
      </label>
      {f.range === 'custom' && (
        <>
          <label>
            From
            <input
              type="datetime-local"
              value={f.from}
              onChange={(e) => set('from', e.target.value)}
            />
          </label>
          <label>
            To
            <input type="datetime-local" value={f.to} onChange={(e) => set('to', e.target.value)} />
          </label>
        </>
      )}
      <button type="submit">Apply filters</button>
    </form>
  );
}
