import { Type } from '@sinclair/typebox';
import { RunSettings } from './runs.js';

/** Events a deployment's webhooks can ask for. */
export const WEBHOOK_EVENTS = [
  'run.started',
  'run.completed',
  'run.failed',
  'run.cancelled',
  'run.stopped_at_checkpoint',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

const ReviewPolicy = Type.Union([
  Type.Literal('never'),
  Type.Literal('on_validation_failure'),
  Type.Literal('always'),
]);

export const Webhook = Type.Object(
  {
    url: Type.String({ maxLength: 2000, description: 'An http or https URL.' }),
    events: Type.Array(
      Type.Union([
        Type.Literal('run.started'),
        Type.Literal('run.completed'),
        Type.Literal('run.failed'),
        Type.Literal('run.cancelled'),
        Type.Literal('run.stopped_at_checkpoint'),
      ]),
      {
        minItems: 1,
        uniqueItems: true,
      },
    ),
  },
  { additionalProperties: false },
);

const DeploymentKeys = Type.Object(
  {
    custom: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    secret: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'App secret key name → the alias of an org secret.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Stored custom keys and secret aliases. When changing a deployment, `custom` and `secret` are each replaced when given and kept when left out.',
  },
);

const Settable = {
  version: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description: 'Pinned app version; null runs the newest version.',
    }),
  ),
  workspace: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description: "Output workspace of its runs; null: the caller's personal workspace.",
    }),
  ),
  keys: Type.Optional(DeploymentKeys),
  review_policy: Type.Optional(
    Type.Union([ReviewPolicy, Type.Null()], {
      description: "Overrides the app manifest's review policy; null: the manifest's.",
    }),
  ),
  webhooks: Type.Optional(Type.Array(Webhook, { maxItems: 10 })),
  concurrency_limit: Type.Optional(
    Type.Union([Type.Integer({ minimum: 1, maximum: 10_000 }), Type.Null()], {
      description: 'Most runs of this deployment running at once; null: no limit.',
    }),
  ),
};

export const CreateDeploymentBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    app_id: Type.Optional(Type.String()),
    app_name: Type.Optional(Type.String()),
    ...Settable,
  },
  { additionalProperties: false },
);

export const UpdateDeploymentBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    ...Settable,
    rotate_webhook_secret: Type.Optional(
      Type.Boolean({ description: 'Issue a new webhook signing secret (returned once).' }),
    ),
  },
  { additionalProperties: false },
);

export const DeploymentObject = Type.Object({
  id: Type.String(),
  name: Type.String(),
  app_id: Type.String(),
  version: Type.Union([Type.String(), Type.Null()]),
  workspace: Type.Union([Type.String(), Type.Null()]),
  keys: Type.Object({
    custom: Type.Record(Type.String(), Type.Unknown()),
    secret: Type.Record(Type.String(), Type.String()),
  }),
  review_policy: Type.Union([ReviewPolicy, Type.Null()]),
  webhooks: Type.Array(Webhook),
  concurrency_limit: Type.Union([Type.Integer(), Type.Null()]),
  created_by: Type.String(),
  created_at_ms: Type.Integer(),
  updated_at_ms: Type.Integer(),
  webhook_secret: Type.Optional(
    Type.String({
      description: 'Signs webhook deliveries (HMAC-SHA256). Returned only when created or rotated.',
    }),
  ),
});

export const DeploymentParams = Type.Object({ deployment_id: Type.String({ maxLength: 100 }) });

export const ListDeploymentsQuery = Type.Object({
  app_id: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const ListDeploymentsResponse = Type.Object({ deployments: Type.Array(DeploymentObject) });

/** The reference's Run deployment body (the deployment fixes the app). */
export const RunDeploymentBody = Type.Object(
  {
    batch_id: Type.Optional(Type.Integer()),
    input_dir: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    output_dir: Type.Optional(Type.String()),
    output_workspace: Type.Optional(
      Type.String({ description: 'Accepted as the AI Hub SDK sends it; overrides the workspace.' }),
    ),
    manual_upstream_integration: Type.Optional(Type.Boolean()),
    from_timestamp: Type.Optional(Type.Number()),
    to_timestamp: Type.Optional(Type.Number()),
    settings: Type.Optional(RunSettings),
  },
  { additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Repeating a request with the same key within 24 h returns the run the first one created.',
    }),
  ),
});
