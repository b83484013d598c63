import type { Transport } from '../transport.js';
import type { RetentionPolicy, RetentionPolicyRequest } from '../types.js';

/** Retention policies (org admins). */
export class Retention {
  constructor(private readonly t: Transport) {}

  /**
   * The org's policies.
   * @example const { policies } = await runbox.retention.list();
   */
  list(): Promise<{ policies: RetentionPolicy[] }> {
    return this.t.callJson('listRetentionPolicies');
  }

  /**
   * Creates or replaces the policy of a scope and target.
   * @example await runbox.retention.put({ scope: 'org', days: 30 });
   */
  put(body: RetentionPolicyRequest): Promise<RetentionPolicy> {
    return this.t.callJson('putRetentionPolicy', {}, { json: body });
  }

  /**
   * Deletes a policy.
   * @example await runbox.retention.delete(policyId);
   */
  async delete(id: string): Promise<void> {
    await this.t.call('deleteRetentionPolicy', { policy_id: id });
  }
}
