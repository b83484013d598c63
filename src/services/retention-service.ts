import { invalidInput, notFound, permissionDenied } from '../contract/errors.js';
import type { Sources } from '../domain/sources.js';
import { uuidv7 } from '../domain/uuid7.js';
import type { RetentionPolicy, Run } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { isAdmin, type Principal } from './principal.js';
import type { DeleteRunFlags, RunDeletionService } from './run-deletion-service.js';

export type RetentionScope = 'org' | 'app' | 'deployment';

export interface RetentionInput {
  scope: RetentionScope;
  /** The app or deployment id; not given for the org scope. */
  target_id?: string | undefined;
  days: number;
  delete_input?: boolean | undefined;
  delete_output?: boolean | undefined;
  delete_logs?: boolean | undefined;
  delete_db_data?: boolean | undefined;
}

export interface RetentionInfo extends DeleteRunFlags {
  id: string;
  scope: RetentionScope;
  target_id: string;
  days: number;
  created_by: string;
  created_at_ms: number;
  updated_at_ms: number;
}

const DAY_MS = 24 * 3600 * 1000;
/** Runs handed to deletion per policy per sweep (the next sweep takes the rest). */
const SWEEP_BATCH = 500;

/**
 * Retention (our extension): per org, app or deployment, finished runs older than N days are
 * deleted through the same jobs as `DELETE /v2/apps/runs/{id}`, with the parts the policy
 * names. The most specific policy of a run applies: deployment, then app, then org. Admins only.
 */
export class RetentionService {
  constructor(
    private readonly store: Store,
    private readonly deletion: RunDeletionService,
    private readonly sources: Sources,
  ) {}

  async list(p: Principal): Promise<RetentionInfo[]> {
    this.assertAdmin(p);
    return (await this.store.retention.list(p.orgId)).map(toInfo);
  }

  async put(p: Principal, input: RetentionInput): Promise<RetentionInfo> {
    this.assertAdmin(p);
    const target = await this.target(p, input);
    const now = this.sources.clock.now();
    const row = await this.store.retention.upsert({
      id: uuidv7(now, Buffer.from(this.sources.ids.randomToken(10), 'base64url')),
      org_id: p.orgId,
      scope: input.scope,
      target_id: target,
      days: input.days,
      delete_input: flag(input.delete_input),
      delete_output: flag(input.delete_output),
      delete_logs: flag(input.delete_logs),
      delete_db_data: flag(input.delete_db_data),
      created_by: p.userId,
      created_at: now,
      updated_at: now,
    });
    return toInfo(row);
  }

  async delete(p: Principal, id: string): Promise<void> {
    this.assertAdmin(p);
    if (!(await this.store.retention.delete(p.orgId, id))) throw notFound(`Retention policy ${id}`);
  }

  /** Applies every policy once; returns how many runs were handed to deletion. */
  async sweep(): Promise<number> {
    const now = this.sources.clock.now();
    const policies = await this.store.retention.all();
    let n = 0;
    for (const policy of policies) {
      // A policy that deletes nothing only shields its runs from less specific policies.
      if (!deletesSomething(policy)) continue;
      const siblings = policies.filter((q) => q.org_id === policy.org_id);
      const runs = await this.store.runs.retentionCandidates({
        orgId: policy.org_id,
        finishedBefore: now - policy.days * DAY_MS,
        limit: SWEEP_BATCH,
        ...scopeFilter(policy, siblings),
      });
      for (const run of runs) if (await this.expire(run, policy, now)) n++;
    }
    return n;
  }

  private async expire(run: Run, policy: RetentionPolicy, now: number): Promise<boolean> {
    const flags: DeleteRunFlags = {
      delete_input: policy.delete_input === 1,
      delete_output: policy.delete_output === 1,
      delete_logs: policy.delete_logs === 1,
      delete_db_data: policy.delete_db_data === 1,
    };
    const parts = Object.entries(flags)
      .filter(([, on]) => on)
      .map(([k]) => k.replace('delete_', '').replace('db_data', 'record'));
    return this.store.transaction(async (tx) => {
      // First, so a concurrent sweep (another process's, or an overlapping one) or a DELETE
      // that took the run makes this one skip it.
      if (!(await tx.runs.markRetentionApplied(run.id, now))) return false;
      const current = await tx.runs.getById(run.id);
      if (!current) return false;
      await tx.runEvents.append([
        {
          run_id: run.id,
          at: now,
          kind: 'log',
          data: JSON.stringify({
            line: `Retention: the run finished more than ${policy.days} day${policy.days === 1 ? '' : 's'} ago (${policy.scope} policy); deleting its ${parts.join(', ')}.`,
          }),
        },
      ]);
      await this.deletion.requestDeletion(tx, current, flags, now);
      return true;
    });
  }

  private async target(p: Principal, input: RetentionInput): Promise<string> {
    if (input.scope === 'org') {
      if (input.target_id !== undefined && input.target_id !== p.orgId) {
        throw invalidInput('target_id must be left out (or be the org) for the org scope.');
      }
      return p.orgId;
    }
    if (input.target_id === undefined) {
      throw invalidInput(
        `target_id (the ${input.scope} id) is required for the ${input.scope} scope.`,
      );
    }
    const found =
      input.scope === 'app'
        ? await this.store.apps.get(p.orgId, input.target_id)
        : await this.store.deployments.get(p.orgId, input.target_id);
    if (!found)
      throw notFound(`${input.scope === 'app' ? 'App' : 'Deployment'} ${input.target_id}`);
    return input.target_id;
  }

  private assertAdmin(p: Principal): void {
    if (!isAdmin(p)) throw permissionDenied('Only org admins manage retention policies.');
  }
}

const flag = (v: boolean | undefined) => (v === false ? 0 : 1);

const deletesSomething = (p: RetentionPolicy) =>
  p.delete_input === 1 || p.delete_output === 1 || p.delete_logs === 1 || p.delete_db_data === 1;

/** Which runs a policy covers: its own target, minus what more specific policies cover. */
function scopeFilter(policy: RetentionPolicy, orgPolicies: RetentionPolicy[]) {
  const deployments = orgPolicies.filter((q) => q.scope === 'deployment').map((q) => q.target_id);
  const apps = orgPolicies.filter((q) => q.scope === 'app').map((q) => q.target_id);
  if (policy.scope === 'deployment') return { deploymentId: policy.target_id };
  if (policy.scope === 'app') return { appId: policy.target_id, exceptDeployments: deployments };
  return { exceptApps: apps, exceptDeployments: deployments };
}

function toInfo(r: RetentionPolicy): RetentionInfo {
  return {
    id: r.id,
    scope: r.scope,
    target_id: r.target_id,
    days: r.days,
    delete_input: r.delete_input === 1,
    delete_output: r.delete_output === 1,
    delete_logs: r.delete_logs === 1,
    delete_db_data: r.delete_db_data === 1,
    created_by: r.created_by,
    created_at_ms: r.created_at,
    updated_at_ms: r.updated_at,
  };
}
