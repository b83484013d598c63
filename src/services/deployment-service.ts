import { conflict, invalidInput, notFound, permissionDenied } from '../contract/errors.js';
import type { WebhookEventType } from '../contract/aihub/deployments.js';
import type { ReviewPolicy } from '../domain/manifest.js';
import type { SecretBox } from '../domain/secret-box.js';
import type { Sources } from '../domain/sources.js';
import { uuidv7 } from '../domain/uuid7.js';
import { checkWebhookUrl } from '../engine/webhooks/webhook-delivery.js';
import type { Deployment } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { AppService } from './app-service.js';
import { isAdmin, type Principal } from './principal.js';
import type { CreateRunInput, RunService } from './run-service.js';
import type { AihubRun } from './run-views.js';
import { resolveWorkspace } from './workspace-access.js';

export interface WebhookSpec {
  url: string;
  events: WebhookEventType[];
}

interface DeploymentSettings {
  version?: string | null | undefined;
  workspace?: string | null | undefined;
  keys?: { custom?: Record<string, unknown>; secret?: Record<string, string> } | undefined;
  review_policy?: ReviewPolicy | null | undefined;
  webhooks?: WebhookSpec[] | undefined;
  concurrency_limit?: number | null | undefined;
}

export interface CreateDeploymentInput extends DeploymentSettings {
  name: string;
  app_id?: string | undefined;
  app_name?: string | undefined;
}

export interface UpdateDeploymentInput extends DeploymentSettings {
  name?: string | undefined;
  rotate_webhook_secret?: boolean | undefined;
}

export interface DeploymentInfo {
  id: string;
  name: string;
  app_id: string;
  version: string | null;
  workspace: string | null;
  keys: { custom: Record<string, unknown>; secret: Record<string, string> };
  review_policy: ReviewPolicy | null;
  webhooks: WebhookSpec[];
  concurrency_limit: number | null;
  created_by: string;
  created_at_ms: number;
  updated_at_ms: number;
  webhook_secret?: string;
}

export interface RunDeploymentInput extends Omit<CreateRunInput, 'app_name' | 'app_id' | 'owner'> {
  manual_upstream_integration?: boolean | undefined;
}

/**
 * Deployments (SPEC §4.2): an app (pinned version or newest) set up to run in a workspace with
 * stored keys, secret aliases, a review policy, webhooks and a concurrency limit. Any org
 * member may create one; its creator or an org admin may change or delete it.
 */
export class DeploymentService {
  constructor(
    private readonly store: Store,
    private readonly apps: AppService,
    private readonly runs: RunService,
    private readonly box: SecretBox,
    private readonly sources: Sources,
  ) {}

  async create(p: Principal, input: CreateDeploymentInput): Promise<DeploymentInfo> {
    if ((input.app_id === undefined) === (input.app_name === undefined)) {
      throw invalidInput('Give exactly one of app_id and app_name.');
    }
    const { app } = await this.apps.resolve(p, {
      appId: input.app_id,
      appName: input.app_name,
    });
    await this.checkSettings(p, app.id, input);
    const now = this.sources.clock.now();
    const id = uuidv7(now, Buffer.from(this.sources.ids.randomToken(10), 'base64url'));
    const secret = this.newWebhookSecret();
    const row: Deployment = {
      id,
      org_id: p.orgId,
      name: input.name,
      app_id: app.id,
      version: input.version ?? null,
      workspace: input.workspace ?? null,
      custom_keys: JSON.stringify(input.keys?.custom ?? {}),
      secret_keys: JSON.stringify(input.keys?.secret ?? {}),
      review_policy: input.review_policy ?? null,
      webhooks: JSON.stringify(input.webhooks ?? []),
      sealed_webhook_secret: this.box.seal(secret, webhookContext(id)),
      concurrency_limit: input.concurrency_limit ?? null,
      created_by: p.userId,
      created_at: now,
      updated_at: now,
    };
    await this.assertNameFree(p, input.name);
    await this.store.deployments.create(row);
    return { ...toInfo(row), webhook_secret: secret };
  }

  async list(
    p: Principal,
    q: { app_id?: string | undefined; limit?: number | undefined; offset?: number | undefined },
  ): Promise<DeploymentInfo[]> {
    const rows = await this.store.deployments.list(p.orgId, {
      appId: q.app_id,
      limit: q.limit ?? 100,
      offset: q.offset ?? 0,
    });
    return rows.map(toInfo);
  }

  async get(p: Principal, id: string): Promise<DeploymentInfo> {
    return toInfo(await this.row(p, id));
  }

  async update(p: Principal, id: string, input: UpdateDeploymentInput): Promise<DeploymentInfo> {
    const current = await this.row(p, id);
    this.assertMayChange(p, current);
    await this.checkSettings(p, current.app_id, input);
    if (input.name !== undefined && input.name !== current.name) {
      await this.assertNameFree(p, input.name);
    }
    const secret = input.rotate_webhook_secret ? this.newWebhookSecret() : undefined;
    const set = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.version !== undefined ? { version: input.version } : {}),
      ...(input.workspace !== undefined ? { workspace: input.workspace } : {}),
      // `keys.custom` and `keys.secret` are set independently: changing the custom keys must
      // not silently drop the secret aliases (or the other way round).
      ...(input.keys?.custom !== undefined
        ? { custom_keys: JSON.stringify(input.keys.custom) }
        : {}),
      ...(input.keys?.secret !== undefined
        ? { secret_keys: JSON.stringify(input.keys.secret) }
        : {}),
      ...(input.review_policy !== undefined ? { review_policy: input.review_policy } : {}),
      ...(input.webhooks !== undefined ? { webhooks: JSON.stringify(input.webhooks) } : {}),
      ...(input.concurrency_limit !== undefined
        ? { concurrency_limit: input.concurrency_limit }
        : {}),
      ...(secret ? { sealed_webhook_secret: this.box.seal(secret, webhookContext(id)) } : {}),
      updated_at: this.sources.clock.now(),
    };
    if (!(await this.store.deployments.update(p.orgId, id, set)))
      throw notFound(`Deployment ${id}`);
    const info = toInfo({ ...current, ...set });
    return secret ? { ...info, webhook_secret: secret } : info;
  }

  async delete(p: Principal, id: string): Promise<void> {
    const current = await this.row(p, id);
    this.assertMayChange(p, current);
    await this.store.deployments.delete(p.orgId, id);
  }

  /** `POST /v2/apps/deployments/{id}/runs`: the deployment's settings, the request's overrides. */
  async run(
    p: Principal,
    id: string,
    input: RunDeploymentInput,
    idempotencyKey?: string,
  ): Promise<AihubRun> {
    if (input.manual_upstream_integration) {
      throw invalidInput(
        'manual_upstream_integration is not supported: give batch_id or input_dir.',
      );
    }
    const deployment = await this.row(p, id);
    const runInput: CreateRunInput = {
      batch_id: input.batch_id,
      input_dir: input.input_dir,
      version: input.version,
      output_workspace: input.output_workspace,
      output_dir: input.output_dir,
      settings: input.settings,
    };
    return this.runs.create(p, runInput, { deployment, idempotencyKey });
  }

  /** Randomness from the injected sources, like API tokens (SPEC §2). */
  private newWebhookSecret(): string {
    return `whsec_${this.sources.ids.randomToken(24)}`;
  }

  /** The webhook signing secret, for the delivery worker. */
  webhookSecret(d: Deployment): string {
    return this.box.open(d.sealed_webhook_secret, webhookContext(d.id));
  }

  private async row(p: Principal, id: string): Promise<Deployment> {
    const d = await this.store.deployments.get(p.orgId, id);
    if (!d) throw notFound(`Deployment ${id}`);
    return d;
  }

  private assertMayChange(p: Principal, d: Deployment): void {
    if (d.created_by !== p.userId && !isAdmin(p)) {
      throw permissionDenied('Only the deployment creator or an org admin may change it.');
    }
  }

  private async assertNameFree(p: Principal, name: string): Promise<void> {
    if (await this.store.deployments.byName(p.orgId, name))
      throw conflict(`A deployment named ${name} already exists.`);
  }

  private async checkSettings(p: Principal, appId: string, s: DeploymentSettings): Promise<void> {
    if (typeof s.version === 'string') await this.apps.resolve(p, { appId, version: s.version });
    if (typeof s.workspace === 'string') await resolveWorkspace(this.store, p, s.workspace);
    for (const [i, w] of (s.webhooks ?? []).entries()) {
      const problem = checkWebhookUrl(w.url);
      if (problem) throw invalidInput(`webhooks[${i}].url: ${problem}`);
    }
  }
}

const webhookContext = (deploymentId: string) => `webhook:${deploymentId}`;

function toInfo(d: Deployment): DeploymentInfo {
  return {
    id: d.id,
    name: d.name,
    app_id: d.app_id,
    version: d.version,
    workspace: d.workspace,
    keys: {
      custom: JSON.parse(d.custom_keys) as Record<string, unknown>,
      secret: JSON.parse(d.secret_keys) as Record<string, string>,
    },
    review_policy: d.review_policy,
    webhooks: JSON.parse(d.webhooks) as WebhookSpec[],
    concurrency_limit: d.concurrency_limit,
    created_by: d.created_by,
    created_at_ms: d.created_at,
    updated_at_ms: d.updated_at,
  };
}
