import type { Command } from 'commander';
import type { JobStatus, Runbox } from '../../client/src/index.js';
import { exitCodeFor, onInterrupt } from './run-follow.js';
import { session, withCommonOptions, type Output } from './session.js';

export interface FinishedJob extends JobStatus {
  id: string;
}

/**
 * Waits for background jobs (deletions) to end, one spinner for all of them on a terminal.
 * Returns each job's final status.
 */
export async function waitJobs(
  client: Runbox,
  out: Output,
  ids: string[],
  what: string,
): Promise<FinishedJob[]> {
  const spinner = out.spinner(`${what}…`);
  const off = onInterrupt(
    `Stopped waiting; the work goes on. Check it with: runbox jobs status ${ids.join(' ')}`,
  );
  let done = 0;
  try {
    return await Promise.all(
      ids.map(async (id) => {
        const status = await client.jobs.wait(id, { pollMs: 500 });
        done++;
        if (ids.length > 1) spinner.update(`${what}: ${done} of ${ids.length} jobs done`);
        return { id, ...status };
      }),
    );
  } finally {
    spinner.clear();
    off();
  }
}

/** The exit code for jobs that ended: 1 when any failed or was cancelled. */
export const jobsExitCode = (jobs: JobStatus[]) =>
  Math.max(0, ...jobs.map((j) => exitCodeFor(j.state)));

function printJob(out: Output, job: FinishedJob): void {
  out.print(`Job ${job.id} ${out.status(job.state)}${job.message ? `: ${job.message}` : ''}`);
}

/** `runbox jobs status|wait ID…`: the background jobs deletions run as. */
export function registerJobs(program: Command): void {
  const jobs = withCommonOptions(
    program.command('jobs').description('Background jobs (deletions): status and waiting.'),
  );

  jobs
    .command('status <job-id...>')
    .description('The state of jobs (exit 1 when one ended FAILED or CANCELLED).')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const s = session(cmd);
      const found = await Promise.all(
        ids.map(async (id) => ({ id, ...(await s.client.jobs.status(id)) })),
      );
      process.exitCode = jobsExitCode(found);
      if (s.json) return s.out.json(ids.length === 1 ? stripId(found[0]!) : found);
      for (const j of found) printJob(s.out, j);
    });

  jobs
    .command('wait <job-id...>')
    .description('Wait until jobs end (exit 1 when one ended FAILED or CANCELLED).')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const s = session(cmd);
      const finished = await waitJobs(
        s.client,
        s.out,
        ids,
        `Waiting for ${ids.length === 1 ? `job ${ids[0]}` : `${ids.length} jobs`}`,
      );
      process.exitCode = jobsExitCode(finished);
      if (s.json) return s.out.json(ids.length === 1 ? stripId(finished[0]!) : finished);
      for (const j of finished) printJob(s.out, j);
    });
}

/** One job's status as the API gives it (without the id the CLI adds). */
function stripId(job: FinishedJob): JobStatus {
  return { state: job.state, message: job.message };
}
