import { InvalidArgumentError, type Command } from 'commander';
import type {
  CreateDeploymentRequest,
  Deployment,
  UpdateDeploymentRequest,
  WebhookEventType,
} from '../../client/src/index.js';
import { allApps, findApp } from './apps-commands.js';
import { choiceOption, collect, intOption, pairOption } from './option-parsers.js';
import { startRun, withRunOptions, type RunInputOptions } from './run-command.js';
import { session, withCommonOptions, type Output } from './session.js';
import { relativeTime } from './terminal.js';

const WEBHOOK_EVENTS: readonly WebhookEventType[] = [
  'run.started',
  'run.completed',
  'run.failed',
  'run.cancelled',
  'run.stopped_at_checkpoint',
];
const REVIEW_POLICIES = ['never', 'on_validation_failure', 'always', 'manifest'] as const;

function eventsOption(text: string): WebhookEventType[] {
  const events = text.split(',').map((e) => e.trim());
  const bad = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
  if (bad.length > 0 || events.length === 0) {
    throw new InvalidArgumentError(`Use a comma-separated list of: ${WEBHOOK_EVENTS.join(', ')}.`);
  }
  return events as WebhookEventType[];
}

// Commander turns a parser's null into '': "none" stays a word until the body is built.
const concurrencyOption = (text: string): number | 'none' =>
  text === 'none' ? 'none' : intOption(1, 10_000)(text);

interface SettingsOptions {
  version?: string;
  workspace?: string;
  key?: Record<string, string>;
  secret?: Record<string, string>;
  reviewPolicy?: (typeof REVIEW_POLICIES)[number];
  concurrency?: number | 'none';
  webhook?: string[];
  events?: WebhookEventType[];
}

/** Options shared by create and update. */
function withSettings(cmd: Command): Command {
  return cmd
    .option('--version <version>', 'pin an app version ("latest": the newest)')
    .option('--workspace <name>', 'output workspace of its runs')
    .option('--key <name=value>', 'a stored custom key (repeatable)', pairOption('name=value'))
    .option(
      '--secret <name=alias>',
      'give the app an org secret (repeatable)',
      pairOption('name=alias'),
    )
    .option(
      '--review-policy <policy>',
      `when runs stop for review: ${REVIEW_POLICIES.join(', ')} (manifest: the app's own)`,
      choiceOption(REVIEW_POLICIES),
    )
    .option('--concurrency <n>', 'most runs at once ("none": no limit)', concurrencyOption)
    .option('--webhook <url>', 'notify this URL of run events (repeatable)', collect)
    .option(
      '--events <list>',
      `events the webhooks get (default: all of ${WEBHOOK_EVENTS.join(',')})`,
      eventsOption,
    );
}

/** The request fields the options set (each only when given). */
function settingsBody(o: SettingsOptions): UpdateDeploymentRequest {
  const keys = {
    ...(o.key !== undefined ? { custom: o.key } : {}),
    ...(o.secret !== undefined ? { secret: o.secret } : {}),
  };
  return {
    ...(o.version !== undefined ? { version: o.version === 'latest' ? null : o.version } : {}),
    ...(o.workspace !== undefined ? { workspace: o.workspace } : {}),
    ...(Object.keys(keys).length > 0 ? { keys } : {}),
    ...(o.reviewPolicy !== undefined
      ? { review_policy: o.reviewPolicy === 'manifest' ? null : o.reviewPolicy }
      : {}),
    ...(o.concurrency !== undefined
      ? { concurrency_limit: o.concurrency === 'none' ? null : o.concurrency }
      : {}),
    ...(o.webhook !== undefined
      ? { webhooks: o.webhook.map((url) => ({ url, events: o.events ?? [...WEBHOOK_EVENTS] })) }
      : {}),
  };
}

function showDeployment(out: Output, d: Deployment, appName: string | undefined): void {
  out.keyValues([
    ['Deployment', d.id],
    ['Name', d.name],
    ['App', appName ? `${appName} (${d.app_id})` : d.app_id],
    ['Version', d.version ?? 'latest'],
    ['Workspace', d.workspace ?? undefined],
    [
      'Keys',
      Object.entries(d.keys.custom)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(', '),
    ],
    [
      'Secrets',
      Object.entries(d.keys.secret)
        .map(([k, v]) => `${k} → ${v}`)
        .join(', '),
    ],
    ['Review', d.review_policy ?? "the app's"],
    ['Concurrency', d.concurrency_limit === null ? 'no limit' : String(d.concurrency_limit)],
    ['Webhooks', d.webhooks.map((w) => `${w.url} (${w.events.join(', ')})`).join('; ')],
    ['Updated', relativeTime(d.updated_at_ms)],
  ]);
  if (d.webhook_secret) {
    out.print(`Webhook secret (shown once): ${d.webhook_secret}`);
  }
}

/** `runbox deployments list|show|create|update|delete|run`. */
export function registerDeployments(program: Command): void {
  const deployments = withCommonOptions(
    program
      .command('deployments')
      .description('Deployments: apps set up to run with stored settings.'),
  );

  deployments
    .command('list')
    .description('Deployments of the org.')
    .option('--app <app>', 'only those of this app (name or id)')
    .action(async (o: { app?: string }, cmd: Command) => {
      const s = session(cmd);
      const appId = o.app !== undefined ? (await findApp(s.client, o.app)).id : undefined;
      const res = await s.client.apps.deployments.list(
        appId !== undefined ? { app_id: appId } : {},
      );
      if (s.json) return s.out.json(res);
      if (res.deployments.length === 0) return s.out.print('No deployments.');
      const names = new Map((await allApps(s.client)).map((a) => [a.id, a.name]));
      s.out.table(
        ['ID', 'NAME', 'APP', 'VERSION', 'REVIEW', 'CONCURRENCY', 'WEBHOOKS', 'UPDATED'],
        res.deployments.map((d) => [
          d.id,
          d.name,
          names.get(d.app_id) ?? d.app_id,
          d.version ?? 'latest',
          d.review_policy ?? 'app',
          d.concurrency_limit === null ? '-' : String(d.concurrency_limit),
          String(d.webhooks.length),
          relativeTime(d.updated_at_ms),
        ]),
      );
    });

  deployments
    .command('show <id>')
    .description('One deployment.')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = session(cmd);
      const d = await s.client.apps.deployments.get(id);
      if (s.json) return s.out.json(d);
      const app = await s.client.apps.get(d.app_id).catch(() => undefined);
      showDeployment(s.out, d, app?.name);
    });

  withSettings(
    deployments
      .command('create <name>')
      .description('Create a deployment of an app (its webhook secret is shown once).')
      .requiredOption('--app <app>', 'the app (name or id)'),
  ).action(async (name: string, o: SettingsOptions & { app: string }, cmd: Command) => {
    const s = session(cmd);
    const app = await findApp(s.client, o.app);
    const body: CreateDeploymentRequest = { name, app_id: app.id, ...settingsBody(o) };
    const d = await s.client.apps.deployments.create(body);
    if (s.json) return s.out.json(d);
    s.out.print(`Created deployment ${d.name} (${d.id}).`);
    showDeployment(s.out, d, app.name);
  });

  withSettings(
    deployments
      .command('update <id>')
      .description('Change what is given; the rest stays.')
      .option('--name <name>', 'a new name')
      .option('--rotate-webhook-secret', 'issue a new webhook secret (shown once)'),
  ).action(
    async (
      id: string,
      o: SettingsOptions & { name?: string; rotateWebhookSecret?: boolean },
      cmd: Command,
    ) => {
      const s = session(cmd);
      const body: UpdateDeploymentRequest = {
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...settingsBody(o),
        ...(o.rotateWebhookSecret ? { rotate_webhook_secret: true } : {}),
      };
      const d = await s.client.apps.deployments.update(id, body);
      if (s.json) return s.out.json(d);
      s.out.print(`Updated deployment ${d.name} (${d.id}).`);
      const app = await s.client.apps.get(d.app_id).catch(() => undefined);
      showDeployment(s.out, d, app?.name);
    },
  );

  deployments
    .command('delete <id>')
    .description('Delete a deployment (its runs stay).')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = session(cmd);
      await s.client.apps.deployments.delete(id);
      if (s.json) return s.out.json({ deleted: id });
      s.out.print(`Deleted deployment ${id}.`);
    });

  withRunOptions(
    deployments
      .command('run <id> [files...]')
      .description('Run a deployment over local FILES, a batch or a drive folder.'),
  ).action(async (id: string, files: string[], o: RunInputOptions, cmd: Command) => {
    await startRun(session(cmd), { deploymentId: id }, files, o);
  });
}
