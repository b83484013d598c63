/**
 * How runs look to PraisonAI async-jobs clients (SPEC §5): ISO dates, the five Praison
 * statuses, progress as files finished over files in the run.
 */
import { isTerminal, praisonStatus, RUN_STATES, type RunState } from '../../domain/run-state.js';
import type { FileCounts } from '../../store/repos/run-repo.js';
import type { Run } from '../../store/schema.js';
import { runMessage } from '../../services/run-views.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The internal states shown as each Praison status (derived from `praisonStatus`). */
export function statesOf(status: string): RunState[] {
  return RUN_STATES.filter((s) => praisonStatus(s) === status);
}

export const PRAISON_STATUSES = [...new Set(RUN_STATES.map(praisonStatus))];

export interface PraisonProgress {
  percentage: number;
  current_step: string;
  steps_completed: number;
  steps_total: number;
}

export function progressOf(run: Run, finished: number): PraisonProgress {
  const total = run.file_count;
  return {
    percentage: total === 0 ? 0 : Math.round((1000 * finished) / total) / 10,
    current_step: runMessage(run),
    steps_completed: finished,
    steps_total: total,
  };
}

/** The error shown for a run: its message when it failed or timed out. */
export function errorOf(run: Run): string | null {
  return praisonStatus(run.state) === 'failed' ? runMessage(run) : null;
}

export function toStatusResponse(run: Run, counts: FileCounts) {
  const status = praisonStatus(run.state);
  return {
    job_id: run.id,
    status,
    progress: progressOf(run, counts.done + counts.failed),
    created_at: iso(run.created_at),
    started_at: iso(run.started_at),
    completed_at: iso(run.finished_at),
    agent_id: `app:${run.app_id}@${run.app_version}`,
    run_id: run.id,
    session_id: null,
    error: errorOf(run),
    retry_after: isTerminal(run.state) ? null : status === 'queued' ? 2 : 5,
  };
}

export function timesOf(run: Run) {
  const from = run.started_at ?? run.created_at;
  return {
    created_at: iso(run.created_at),
    started_at: iso(run.started_at),
    completed_at: iso(run.finished_at),
    duration_seconds: run.finished_at === null ? null : (run.finished_at - from) / 1000,
  };
}
