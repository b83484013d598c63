/** Job states exactly as the AI Hub `jobStatusResponse` spells them. */
export const JOB_STATES = ['PENDING', 'RUNNING', 'COMPLETE', 'FAILED', 'CANCELLED'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_JOB_STATES: readonly JobState[] = ['COMPLETE', 'FAILED', 'CANCELLED'];

/** Background operations the API hands back an id for. */
export const JOB_KINDS = [
  'delete-batch',
  'delete-batch-file',
  'delete-path',
  'delete-run',
  'notify-run',
  'deliver-webhook',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];
