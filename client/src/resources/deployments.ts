import type { Transport } from '../transport.js';
import type {
  CreateDeploymentRequest,
  Deployment,
  Run,
  RunDeploymentRequest,
  UpdateDeploymentRequest,
} from '../types.js';
import type { CreateOptions } from './runs.js';

/** Deployments: an app set up to run with stored keys, secrets, review policy and webhooks. */
export class Deployments {
  constructor(private readonly t: Transport) {}

  /**
   * Creates a deployment; the answer carries `webhook_secret`, shown only now.
   * @example const d = await runbox.apps.deployments.create({ name: 'nightly', app_name: 'invoice-extractor' });
   */
  create(body: CreateDeploymentRequest): Promise<Deployment> {
    return this.t.callJson('createDeployment', {}, { json: body });
  }

  /**
   * Deployments of the org, optionally of one app.
   * @example const { deployments } = await runbox.apps.deployments.list({ app_id: appId });
   */
  list(query: { app_id?: string; limit?: number; offset?: number } = {}): Promise<{
    deployments: Deployment[];
  }> {
    return this.t.callJson('listDeployments', {}, { query });
  }

  /**
   * One deployment.
   * @example const d = await runbox.apps.deployments.get(id);
   */
  get(id: string): Promise<Deployment> {
    return this.t.callJson('getDeployment', { deployment_id: id });
  }

  /**
   * Changes a deployment (what is given); `rotate_webhook_secret` issues a new secret.
   * @example await runbox.apps.deployments.update(id, { concurrency_limit: 2 });
   */
  update(id: string, body: UpdateDeploymentRequest): Promise<Deployment> {
    return this.t.callJson('updateDeployment', { deployment_id: id }, { json: body });
  }

  /**
   * Deletes a deployment (its runs stay).
   * @example await runbox.apps.deployments.delete(id);
   */
  async delete(id: string): Promise<void> {
    await this.t.call('deleteDeployment', { deployment_id: id });
  }

  /**
   * Starts a run of the deployment; the request's keys override its stored ones.
   * @example const run = await runbox.apps.deployments.run(id, { batch_id: 42 });
   */
  run(id: string, body: RunDeploymentRequest, o: CreateOptions = {}): Promise<Run> {
    return this.t.callJson(
      'runDeployment',
      { deployment_id: id },
      {
        json: body,
        ...(o.idempotencyKey
          ? { headers: { 'idempotency-key': o.idempotencyKey }, idempotent: true }
          : {}),
      },
    );
  }
}
