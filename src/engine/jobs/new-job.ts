import type { JobKind } from '../../contract/job-states.js';
import type { NewJob } from '../../store/schema.js';
import type { JobPayloads } from './job-payloads.js';

/** Attempts of a job unless its kind says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 8;

/** A job row ready to insert (inside the transaction whose change it follows). */
export function newJob<K extends JobKind>(
  kind: K,
  payload: JobPayloads[K],
  o: { id: string; orgId: string | null; now: number; maxAttempts?: number },
): NewJob {
  return {
    id: o.id,
    org_id: o.orgId,
    kind,
    payload: JSON.stringify(payload),
    state: 'PENDING',
    message: 'Waiting to run.',
    attempts: 0,
    max_attempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    run_at: o.now,
    lease_owner: null,
    lease_expires_at: null,
    created_at: o.now,
    updated_at: o.now,
    finished_at: null,
  };
}
