import type { Command } from 'commander';
import type { ReviewFile, ReviewFileRequest } from '../../client/src/index.js';
import { UsageError } from './exit-codes.js';
import { intOption, pairOption } from './option-parsers.js';
import { exitCodeFor, printRunOutcome } from './run-follow.js';
import { session, withCommonOptions, type Output } from './session.js';

/** Every field of the files as one table: what to look at, and what fails its checks. */
function printReviewFiles(out: Output, files: ReviewFile[]): void {
  const rows: string[][] = [];
  for (const file of files) {
    const manyDocs = file.documents.length > 1;
    const reviewed = file.reviewed ? `yes (${file.reviewed_by ?? '?'})` : 'no';
    for (const doc of file.documents) {
      for (const f of doc.fields) {
        rows.push([
          String(file.file_index),
          file.original_file_name,
          reviewed,
          manyDocs ? `#${doc.document_index} ${f.field_name}` : f.field_name,
          f.value,
          f.validations.valid
            ? 'ok'
            : out.paint('red', `✗ ${f.validations.alerts.map((a) => a.msg).join('; ')}`),
        ]);
      }
    }
    if (file.documents.every((d) => d.fields.length === 0)) {
      rows.push([
        String(file.file_index),
        file.original_file_name,
        reviewed,
        '',
        '(no fields)',
        '',
      ]);
    }
  }
  out.table(['INDEX', 'FILE', 'REVIEWED', 'FIELD', 'VALUE', 'CHECK'], rows);
}

/** `runbox review show|fix|resume`: runs stopped at the review checkpoint. */
export function registerReview(program: Command): void {
  const review = withCommonOptions(
    program
      .command('review')
      .description('Review runs stopped at the checkpoint: look, correct, resume.'),
  );

  review
    .command('show <run-id>')
    .description('The files to review, with their fields and failing checks.')
    .action(async (runId: string, _o: unknown, cmd: Command) => {
      const s = session(cmd);
      const r = await s.client.review.get(runId);
      if (s.json) return s.out.json(r);
      s.out.print(
        `Run ${r.run_id} ${s.out.status(r.status)}: ${r.files_reviewed} of ${r.files_to_review} files reviewed${r.review_completed ? ', review completed' : ''}.`,
      );
      if (r.files.length === 0) return;
      s.out.print();
      printReviewFiles(s.out, r.files);
      if (!r.review_completed) {
        s.out.print();
        s.out.print(
          `Correct with \`runbox review fix ${r.run_id} INDEX --set field=value --reviewed\`, then \`runbox review resume ${r.run_id}\`.`,
        );
      }
    });

  review
    .command('fix')
    .description("Correct a file's fields and/or mark it reviewed.")
    .argument('<run-id>', 'the run')
    .argument('<file-index>', 'the file (INDEX in `review show`)', intOption(0))
    .option(
      '--set <field=value>',
      'the corrected value of a field (repeatable)',
      pairOption('field=value'),
    )
    .option(
      '--document <n>',
      'the document within the file the fields belong to (default 0)',
      intOption(0),
    )
    .option('--reviewed', 'mark the file reviewed')
    .action(
      async (
        runId: string,
        index: number,
        o: { set?: Record<string, string>; document?: number; reviewed?: boolean },
        cmd: Command,
      ) => {
        if (o.set === undefined && !o.reviewed) {
          throw new UsageError('Give --set field=value (repeatable), --reviewed, or both.');
        }
        const s = session(cmd);
        const body: ReviewFileRequest = {
          ...(o.set !== undefined
            ? {
                corrections: Object.entries(o.set).map(([field_name, value]) => ({
                  field_name,
                  value,
                  ...(o.document !== undefined ? { document_index: o.document } : {}),
                })),
              }
            : {}),
          ...(o.reviewed ? { reviewed: true } : {}),
        };
        const file = await s.client.review.update(runId, index, body);
        if (s.json) return s.out.json(file);
        printReviewFiles(s.out, [file]);
      },
    );

  review
    .command('resume <run-id>')
    .description('Complete a run whose files are all reviewed.')
    .option('--force', 'org admins: resume with files still unreviewed')
    .action(async (runId: string, o: { force?: boolean }, cmd: Command) => {
      const s = session(cmd);
      const run = await s.client.review.resume(runId, o.force ? { force: true } : {});
      process.exitCode = exitCodeFor(run.status);
      if (s.json) return s.out.json(run);
      printRunOutcome(s.out, run);
    });
}
