import type { Command } from 'commander';
import {
  RunboxError,
  type DeleteRunOptions,
  type ListRunsQuery,
  type Run,
  type Runbox,
} from '../../client/src/index.js';
import { allApps } from './apps-commands.js';
import { EXIT } from './exit-codes.js';
import { jobsExitCode, waitJobs } from './jobs-commands.js';
import { choiceOption, durationOption, intOption } from './option-parsers.js';
import {
  exitCodeFor,
  followRun,
  fullResults,
  onInterrupt,
  printFields,
  printNextStep,
  printRunOutcome,
  took,
} from './run-follow.js';
import { session, withCommonOptions, type Session } from './session.js';
import { relativeTime } from './terminal.js';

const STATUSES = [
  'CANCELLED',
  'COMPLETE',
  'FAILED',
  'PAUSED',
  'RUNNING',
  'STOPPED_AT_CHECKPOINT',
] as const;
type Status = (typeof STATUSES)[number];

const statusOption = (text: string, previous: Status[] = []) => [
  ...previous,
  choiceOption(STATUSES)(text.toUpperCase()),
];

const input = (r: Run) =>
  r.batch_id !== null ? `batch ${r.batch_id}` : r.input_dir !== null ? r.input_dir : '';

/** App names by id, for people (runs carry only the id). */
async function appNames(client: Runbox): Promise<Map<string, string>> {
  return new Map((await allApps(client)).map((a) => [a.id, a.name]));
}

async function showStatus(s: Session, run: Run): Promise<void> {
  if (s.json) return s.out.json(run);
  const app = run.app_id ? await s.client.apps.get(run.app_id).catch(() => undefined) : undefined;
  const finished = run.finish_timestamp;
  const time = took(run);
  s.out.keyValues([
    ['Run', run.id],
    ['App', app ? `${app.name} (${app.id})` : (run.app_id ?? undefined)],
    ['Status', s.out.status(run.status)],
    ['Message', run.msg ?? undefined],
    ['Started', relativeTime(run.start_timestamp / 1e6)],
    [
      'Finished',
      finished === null
        ? undefined
        : `${relativeTime(finished / 1e6)}${time ? ` (took ${time})` : ''}`,
    ],
    ['Input', input(run)],
    ['Deployment', run.deployment_id ?? undefined],
    ['Tags', run.tags?.join(', ')],
  ]);
  printNextStep(s.out, run);
}

/** After a record is deleted its status answers 404: polls for that (spinner on a terminal). */
async function waitGone(client: Runbox, s: Session, id: string): Promise<void> {
  const spinner = s.out.spinner(`Deleting run ${id}…`);
  const off = onInterrupt(`Stopped waiting; the deletion goes on.`);
  try {
    for (;;) {
      try {
        await client.apps.runs.status(id);
      } catch (err) {
        if (err instanceof RunboxError && err.status === 404) return;
        throw err;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    spinner.clear();
    off();
  }
}

/** `runbox runs list|status|results|logs|cancel|delete`. */
export function registerRuns(program: Command): void {
  const runs = withCommonOptions(
    program
      .command('runs')
      .description('Runs: list, watch, read results and logs, cancel, delete.'),
  );

  runs
    .command('list')
    .description('Runs, newest first (by default those started in the last 24 hours).')
    .option('--app <name>', 'runs of this app')
    .option('--deployment <id>', 'runs of this deployment')
    .option(
      '--status <status>',
      `runs in this status (repeatable: ${STATUSES.join(', ')})`,
      statusOption,
    )
    .option(
      '--since <duration>',
      'started within this long, e.g. 2h or 7d (default 24h)',
      durationOption,
    )
    .option('--limit <n>', 'at most this many', intOption(1, 1000))
    .option('--offset <n>', 'skip this many', intOption(0))
    .action(
      async (
        o: {
          app?: string;
          deployment?: string;
          status?: Status[];
          since?: number;
          limit?: number;
          offset?: number;
        },
        cmd: Command,
      ) => {
        const s = session(cmd);
        const query: ListRunsQuery = {
          ...(o.app !== undefined ? { app_name: o.app } : {}),
          ...(o.deployment !== undefined ? { deployment_id: o.deployment } : {}),
          ...(o.status !== undefined ? { status: o.status } : {}),
          ...(o.since !== undefined
            ? { from_timestamp: Math.floor((Date.now() - o.since) / 1000) }
            : {}),
          ...(o.limit !== undefined ? { limit: o.limit } : {}),
          ...(o.offset !== undefined ? { offset: o.offset } : {}),
        };
        const page = await s.client.apps.runs.list(query);
        if (s.json) return s.out.json(page);
        if (page.runs.length === 0) {
          return s.out.print(o.since === undefined ? 'No runs in the last 24 hours.' : 'No runs.');
        }
        const names = await appNames(s.client);
        s.out.table(
          ['RUN', 'APP', 'STATUS', 'STARTED', 'TOOK', 'INPUT', 'TAGS'],
          page.runs.map((r) => [
            r.id,
            (r.app_id && names.get(r.app_id)) ?? r.app_id ?? '',
            s.out.status(r.status),
            relativeTime(r.start_timestamp / 1e6),
            took(r) ?? '',
            input(r),
            r.tags?.join(',') ?? '',
          ]),
        );
      },
    );

  runs
    .command('status <run-id>')
    .description("A run's status (exit 1 when it ended FAILED or CANCELLED).")
    .option('--wait', 'wait until the run ends (a bar of files done on a terminal)')
    .action(async (id: string, o: { wait?: boolean }, cmd: Command) => {
      const s = session(cmd);
      const run = o.wait
        ? await followRun(s.client, s.out, id, { label: `run ${id}` })
        : await s.client.apps.runs.status(id);
      process.exitCode = exitCodeFor(run.status);
      await showStatus(s, run);
    });

  runs
    .command('results <run-id>')
    .description("A run's extracted fields, per file (confidence included).")
    .option('--validation', "include the manifest's field checks")
    .option('--review', 'include review details (edit history)')
    .option('--source', 'include where in the document each value was found')
    .action(
      async (
        id: string,
        o: { validation?: boolean; review?: boolean; source?: boolean },
        cmd: Command,
      ) => {
        const s = session(cmd);
        const results = await fullResults(s.client, id, {
          include_confidence_scores: true,
          ...(o.validation ? { include_validation_results: true } : {}),
          ...(o.review ? { include_review_results: true } : {}),
          ...(o.source ? { include_source_info: true } : {}),
        });
        if (s.json) return s.out.json(results);
        printRunOutcome(s.out, {
          id: results.id,
          status: results.status,
          msg: results.message,
          start_timestamp: results.start_timestamp,
          finish_timestamp: results.finish_timestamp,
        } as Run);
        s.out.print();
        printFields(s.out, results.files);
        printNextStep(s.out, results);
      },
    );

  runs
    .command('logs <run-id>')
    .description("A run's log; with -f, follow it until the run ends.")
    .option('-f, --follow', 'keep printing lines as they are written')
    .action(async (id: string, o: { follow?: boolean }, cmd: Command) => {
      const s = session(cmd);
      if (o.follow) {
        // With --json, one JSON document per line as they come (a stream has no single document).
        for await (const line of s.client.apps.runs.followLogs(id)) {
          s.out.print(s.json ? JSON.stringify({ line }) : line);
        }
        return;
      }
      const text = await s.client.apps.runs.logs(id);
      if (s.json) return s.out.json({ lines: text.split('\n').filter((l) => l !== '') });
      process.stdout.write(text);
    });

  runs
    .command('cancel <run-id>')
    .description('Cancel a queued, running or checkpointed run.')
    .option('--wait', 'wait until the run has stopped')
    .action(async (id: string, o: { wait?: boolean }, cmd: Command) => {
      const s = session(cmd);
      let run = await s.client.apps.runs.cancel(id);
      if (o.wait) run = await followRun(s.client, s.out, id, { label: `run ${id}` });
      // Cancelled is what was asked for: not a failure here.
      process.exitCode = run.status === 'FAILED' ? EXIT.failed : EXIT.ok;
      if (s.json) return s.out.json(run);
      s.out.print(
        o.wait
          ? `Run ${run.id} ${s.out.status(run.status)}${run.msg ? `: ${run.msg}` : ''}`
          : `Cancelling run ${run.id}${run.msg ? `: ${run.msg}` : ''}`,
      );
    });

  runs
    .command('delete <run-id>')
    .description("Delete a finished run's input, output, logs and record (all by default).")
    .option('--keep-input', 'keep the input files')
    .option('--keep-output', "keep the app's output files")
    .option('--keep-logs', 'keep the log')
    .option('--keep-record', 'keep the run and its results')
    .option('--wait', 'wait until the deletion jobs end (exit 1 if one fails)')
    .action(
      async (
        id: string,
        o: {
          keepInput?: boolean;
          keepOutput?: boolean;
          keepLogs?: boolean;
          keepRecord?: boolean;
          wait?: boolean;
        },
        cmd: Command,
      ) => {
        const s = session(cmd);
        const options: DeleteRunOptions = {
          delete_input: !o.keepInput,
          delete_output: !o.keepOutput,
          delete_logs: !o.keepLogs,
          delete_db_data: !o.keepRecord,
        };
        const res = await s.client.apps.runs.delete(id, options);
        const ids = [
          ...new Set(
            [
              res.delete_input_dir_job_id,
              res.delete_output_dir_job_id,
              res.delete_log_dir_job_id,
            ].filter((j): j is string => j !== null),
          ),
        ];
        if (!o.wait) {
          if (s.json) return s.out.json(res);
          return s.out.print(
            ids.length > 0 ? `Deleting run ${id} (job ${ids.join(', ')}).` : `Deleting run ${id}.`,
          );
        }
        const jobs = await waitJobs(s.client, s.out, ids, `Deleting run ${id}`);
        if (ids.length === 0 && !o.keepRecord) await waitGone(s.client, s, id);
        process.exitCode = jobsExitCode(jobs);
        if (s.json) return s.out.json({ ...res, jobs });
        const failed = jobs.filter((j) => j.state !== 'COMPLETE');
        if (failed.length === 0) s.out.print(`Deleted run ${id}.`);
        for (const j of failed) s.out.print(`Job ${j.id} ${s.out.status(j.state)}: ${j.message}`);
      },
    );
}
