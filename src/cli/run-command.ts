/**
 * `runbox run APP (FILES… | --batch ID | --dir PATH)`: uploads local files into a new batch,
 * starts the run (of the app, or through a deployment), and with --wait follows it and prints
 * the fields it extracted. `deployments run` shares all of it.
 */
import type { Command } from 'commander';
import type { Run, Runbox } from '../../client/src/index.js';
import { UsageError } from './exit-codes.js';
import { collect, intOption, pairOption } from './option-parsers.js';
import {
  exitCodeFor,
  fullResults,
  followRun,
  printFields,
  printNextStep,
  printRunOutcome,
} from './run-follow.js';
import { session, withCommonOptions, type Session } from './session.js';
import { localFiles, totalSize, uploadFiles } from './uploads.js';

export interface RunInputOptions {
  batch?: number;
  dir?: string;
  wait?: boolean;
  version?: string;
  key?: Record<string, string>;
  secret?: Record<string, string>;
  tag?: string[];
  idempotencyKey?: string;
}

/** The input and settings options of `run` and `deployments run`. */
export function withRunOptions(cmd: Command): Command {
  return cmd
    .option('--batch <id>', 'run over the files of this batch', intOption(1))
    .option('--dir <path>', 'run over a folder of the workspace drive (input_dir)')
    .option('--wait', 'follow the run to its end, then print the extracted fields')
    .option('--version <version>', 'app version (default: the newest, or the deployment’s)')
    .option('--key <name=value>', 'a custom key for the app (repeatable)', pairOption('name=value'))
    .option(
      '--secret <name=alias>',
      'give the app an org secret under a name (repeatable)',
      pairOption('name=alias'),
    )
    .option('--tag <tag>', 'tag the run (repeatable)', collect)
    .option(
      '--idempotency-key <key>',
      'a repeat with the same key within 24 h returns the same run',
    );
}

type Target = { app: string; deploymentId?: undefined } | { app?: string; deploymentId: string };

/** The deployment must run the app named on the command line (when one is). */
async function checkDeploymentApp(client: Runbox, deploymentId: string, app: string) {
  const deployment = await client.apps.deployments.get(deploymentId);
  if (deployment.app_id === app) return;
  const info = await client.apps.get(deployment.app_id);
  if (info.name !== app) {
    throw new UsageError(
      `Deployment ${deployment.name} runs ${info.name}, not ${app}: drop APP or --deployment.`,
    );
  }
}

/** Counts a batch's files, for the "files done of total" bar. */
async function countFiles(client: Runbox, batchId: number): Promise<number> {
  let n = 0;
  const files = client.batches.files(batchId, 1000);
  while (!(await files.next()).done) n++;
  return n;
}

/** The run request: the input, the version, and settings (keys, secrets, tags) when given. */
function runBody(o: RunInputOptions, input: { batch_id: number } | { input_dir: string }) {
  const keys = {
    ...(o.key !== undefined ? { custom: o.key } : {}),
    ...(o.secret !== undefined ? { secret: o.secret } : {}),
  };
  const settings = {
    ...(Object.keys(keys).length > 0 ? { keys } : {}),
    ...(o.tag !== undefined ? { tags: o.tag } : {}),
  };
  return {
    ...input,
    ...(o.version !== undefined ? { version: o.version } : {}),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
  };
}

export async function startRun(
  s: Session,
  target: Target,
  files: string[],
  o: RunInputOptions,
): Promise<void> {
  const sources = [files.length > 0, o.batch !== undefined, o.dir !== undefined].filter(Boolean);
  if (sources.length !== 1) {
    throw new UsageError(
      sources.length === 0
        ? 'Give the input: FILES…, --batch ID or --dir PATH.'
        : 'Give one input: FILES…, --batch ID or --dir PATH, not several.',
    );
  }
  const local = localFiles(files);
  const { client, out } = s;
  if (target.deploymentId !== undefined && target.app !== undefined) {
    await checkDeploymentApp(client, target.deploymentId, target.app);
  }
  const label = target.app ?? `deployment ${target.deploymentId}`;

  let batchId = o.batch;
  let total: number | undefined;
  if (local.length > 0) {
    const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    batchId = (await client.batches.create({ name: `${label} ${stamp}` })).id;
    await uploadFiles(client, out, batchId, local);
    total = local.length;
    if (!s.json)
      out.print(
        `Uploaded ${local.length} ${plural(local.length, 'file')} (${totalSize(local)}) to batch ${batchId}.`,
      );
  } else if (batchId !== undefined && o.wait && process.stderr.isTTY) {
    total = await countFiles(client, batchId);
  }

  const body = runBody(o, batchId !== undefined ? { batch_id: batchId } : { input_dir: o.dir! });
  const create = { idempotencyKey: o.idempotencyKey };
  const run: Run =
    target.deploymentId !== undefined
      ? await client.apps.deployments.run(target.deploymentId, body, create)
      : await client.apps.runs.create({ app_name: target.app, ...body }, create);

  if (!s.json) out.print(`Started run ${run.id} (${label}).`);
  if (!o.wait) {
    if (s.json) return out.json(run);
    out.hint(`Follow it with: runbox runs status ${run.id} --wait`);
    return;
  }
  const final = await followRun(client, out, run.id, { label, total });
  const atCheckpoint = final.status === 'STOPPED_AT_CHECKPOINT';
  const results = await fullResults(client, run.id, {
    include_confidence_scores: true,
    // What stopped the run for review is what the reader needs to see.
    ...(atCheckpoint ? { include_validation_results: true } : {}),
  });
  process.exitCode = exitCodeFor(final.status);
  if (s.json) return out.json(results);
  printRunOutcome(out, final);
  out.print();
  printFields(out, results.files);
  printNextStep(out, final);
}

export const plural = (n: number, word: string) => (n === 1 ? word : `${word}s`);

export function registerRun(program: Command): void {
  withCommonOptions(
    withRunOptions(
      program
        .command('run <app> [files...]')
        .description(
          'Run APP over local FILES (uploaded into a new batch), a batch or a drive folder.',
        ),
    ).option('--deployment <id>', 'run through this deployment (with its stored settings)'),
  ).action(
    async (
      app: string,
      files: string[],
      o: RunInputOptions & { deployment?: string },
      cmd: Command,
    ) => {
      const s = session(cmd);
      await startRun(
        s,
        o.deployment !== undefined ? { app, deploymentId: o.deployment } : { app },
        files,
        o,
      );
    },
  );
}
