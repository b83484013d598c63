import type { Command } from 'commander';
import type { BatchFileNode } from '../../client/src/index.js';
import { jobsExitCode, waitJobs } from './jobs-commands.js';
import { intOption } from './option-parsers.js';
import { plural } from './run-command.js';
import { session, withCommonOptions } from './session.js';
import { formatBytes, relativeTime } from './terminal.js';
import { localFiles, totalSize, uploadFiles } from './uploads.js';

const batchId = intOption(1);

/** `runbox batches create|upload|files|list|delete`. */
export function registerBatches(program: Command): void {
  const batches = withCommonOptions(
    program
      .command('batches')
      .description('Batches: named sets of uploaded files runs take as input.'),
  );

  batches
    .command('create <name>')
    .description('Create an empty batch; prints its id.')
    .option('--workspace <name>', 'the workspace to keep it in (default: your personal one)')
    .action(async (name: string, o: { workspace?: string }, cmd: Command) => {
      const s = session(cmd);
      const res = await s.client.batches.create({
        name,
        ...(o.workspace !== undefined ? { workspace: o.workspace } : {}),
      });
      if (s.json) return s.out.json(res);
      s.out.print(`Created batch ${res.id} (${name}).`);
    });

  batches
    .command('upload')
    .argument('<batch-id>', 'the batch', batchId)
    .argument('<files...>', 'files or folders to upload')
    .description("Upload files (a folder's files too) into a batch, with a progress bar per file.")
    .action(async (id: number, files: string[], _o: unknown, cmd: Command) => {
      const s = session(cmd);
      const local = localFiles(files);
      await uploadFiles(s.client, s.out, id, local);
      if (s.json) {
        return s.out.json({
          batch_id: id,
          files: local.map((f) => ({ name: f.name, size: f.size })),
        });
      }
      s.out.print(
        `Uploaded ${local.length} ${plural(local.length, 'file')} (${totalSize(local)}) to batch ${id}.`,
      );
    });

  batches
    .command('files')
    .argument('<batch-id>', 'the batch', batchId)
    .description("A batch's files.")
    .action(async (id: number, _o: unknown, cmd: Command) => {
      const s = session(cmd);
      const nodes: BatchFileNode[] = [];
      for await (const node of s.client.batches.files(id, 1000)) nodes.push(node);
      // Every page as one listing, in the API's shape.
      if (s.json) return s.out.json({ nodes, next_page_token: '', has_more: false });
      if (nodes.length === 0) return s.out.print(`Batch ${id} has no files.`);
      s.out.table(
        ['NAME', 'SIZE', 'MODIFIED'],
        nodes.map((n) => [
          n.name,
          formatBytes(n.metadata.size),
          relativeTime(n.metadata.modified_timestamp * 1000),
        ]),
      );
    });

  batches
    .command('list')
    .description('Batches you can see, newest first.')
    .option('--workspace <name>', 'only this workspace')
    .option('--limit <n>', 'at most this many', intOption(1, 1000))
    .option('--offset <n>', 'skip this many', intOption(0))
    .action(async (o: { workspace?: string; limit?: number; offset?: number }, cmd: Command) => {
      const s = session(cmd);
      const res = await s.client.batches.list({
        ...(o.workspace !== undefined ? { workspace: o.workspace } : {}),
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
        ...(o.offset !== undefined ? { offset: o.offset } : {}),
      });
      if (s.json) return s.out.json(res);
      if (res.batches.length === 0) return s.out.print('No batches.');
      s.out.table(
        ['ID', 'NAME', 'WORKSPACE', 'OWNER', 'CREATED'],
        res.batches.map((b) => [
          String(b.id),
          b.name,
          b.workspace,
          b.batch_owner,
          relativeTime(b.created_at_ms),
        ]),
      );
    });

  batches
    .command('delete')
    .argument('<batch-id>', 'the batch', batchId)
    .description('Delete a batch and its files (a background job).')
    .option('--wait', 'wait until the job ends (exit 1 if it fails)')
    .action(async (id: number, o: { wait?: boolean }, cmd: Command) => {
      const s = session(cmd);
      const res = await s.client.batches.delete(id);
      if (!o.wait) {
        if (s.json) return s.out.json(res);
        return s.out.print(`Deleting batch ${id} (job ${res.job_id}).`);
      }
      const [job] = await waitJobs(s.client, s.out, [res.job_id], `Deleting batch ${id}`);
      process.exitCode = jobsExitCode([job!]);
      if (s.json) return s.out.json({ ...res, job });
      s.out.print(
        job!.state === 'COMPLETE'
          ? `Deleted batch ${id}.`
          : `Job ${job!.id} ${s.out.status(job!.state)}: ${job!.message}`,
      );
    });
}
