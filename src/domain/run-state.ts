/**
 * The run state machine (SPEC §3): internal states, the transitions allowed between them, and
 * what each API dialect shows for each state. Every status change goes through `canTransition`.
 */
export const RUN_STATES = [
  'queued',
  'running',
  'stopped_at_checkpoint',
  'cancelling',
  'complete',
  'failed',
  'timed_out',
  'cancelled',
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const TERMINAL_RUN_STATES: readonly RunState[] = [
  'complete',
  'failed',
  'timed_out',
  'cancelled',
];

export const isTerminal = (s: RunState) => TERMINAL_RUN_STATES.includes(s);

const TRANSITIONS: Record<RunState, readonly RunState[]> = {
  // queued → queued is not a change; a lost lease puts a running run back to queued.
  queued: ['running', 'cancelled', 'failed'],
  running: ['queued', 'complete', 'failed', 'timed_out', 'cancelling', 'stopped_at_checkpoint'],
  cancelling: ['cancelled', 'failed', 'timed_out', 'queued'],
  stopped_at_checkpoint: ['complete', 'cancelled'],
  // Finished runs stay finished; resurrection (Apify) is the one exception, back to queued.
  complete: [],
  failed: [],
  timed_out: [],
  cancelled: [],
};

export function canTransition(from: RunState, to: RunState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** AI Hub v2 `status`: strictly its six values (PAUSED is reserved and never emitted). */
export type AihubRunStatus =
  'RUNNING' | 'COMPLETE' | 'FAILED' | 'CANCELLED' | 'STOPPED_AT_CHECKPOINT';

export function aihubStatus(s: RunState): AihubRunStatus {
  switch (s) {
    case 'queued':
    case 'running':
    case 'cancelling':
      return 'RUNNING';
    case 'stopped_at_checkpoint':
      return 'STOPPED_AT_CHECKPOINT';
    case 'complete':
      return 'COMPLETE';
    case 'failed':
    case 'timed_out':
      return 'FAILED';
    case 'cancelled':
      return 'CANCELLED';
    default: {
      const never: never = s;
      throw new Error(`unknown run state ${String(never)}`);
    }
  }
}

export type ApifyRunStatus =
  'READY' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED-OUT' | 'ABORTING' | 'ABORTED';

export function apifyStatus(s: RunState): ApifyRunStatus {
  switch (s) {
    case 'queued':
      return 'READY';
    case 'running':
    case 'stopped_at_checkpoint':
      return 'RUNNING';
    case 'cancelling':
      return 'ABORTING';
    case 'complete':
      return 'SUCCEEDED';
    case 'failed':
      return 'FAILED';
    case 'timed_out':
      return 'TIMED-OUT';
    case 'cancelled':
      return 'ABORTED';
    default: {
      const never: never = s;
      throw new Error(`unknown run state ${String(never)}`);
    }
  }
}

export type PraisonRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export function praisonStatus(s: RunState): PraisonRunStatus {
  switch (s) {
    case 'queued':
      return 'queued';
    case 'running':
    case 'stopped_at_checkpoint':
    case 'cancelling':
      return 'running';
    case 'complete':
      return 'succeeded';
    case 'failed':
    case 'timed_out':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
    default: {
      const never: never = s;
      throw new Error(`unknown run state ${String(never)}`);
    }
  }
}
