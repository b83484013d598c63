/** Following a run to its end, and showing what it produced. */
import type {
  ResultFile,
  ResultsPage,
  ResultsQuery,
  Run,
  RunEvent,
  Runbox,
} from '../../client/src/index.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './session.js';
import { clearLiveOutput, formatDuration } from './terminal.js';

/** A run or job that ended like this makes the command exit 1. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set(['FAILED', 'CANCELLED']);

export const exitCodeFor = (status: string) =>
  FAILED_STATUSES.has(status) ? EXIT.failed : EXIT.ok;

/**
 * Ctrl-C while waiting stops the waiting, not the run: says how to pick it up again. Returns
 * the function that removes the handler.
 */
export function onInterrupt(message: string): () => void {
  const handler = () => {
    clearLiveOutput();
    process.stderr.write(`\n${message}\n`);
    process.exit(130);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/**
 * Waits for the run to rest (SDK `runs.wait`), with a bar of files done (of `total` when it is
 * known) on a terminal. Resolves with the final run.
 */
export async function followRun(
  client: Runbox,
  out: Output,
  runId: string,
  o: { label: string; total?: number | undefined },
): Promise<Run> {
  const done = new Set<number>();
  let state = 'queued';
  const bar = out.progress(`${o.label} (${state})`, o.total, { unit: 'count', noun: 'files' });
  const onEvent = (e: RunEvent) => {
    if (e.kind === 'file') done.add(Number(e.data.index));
    else if (e.kind === 'status' && typeof e.data.state === 'string') state = e.data.state;
    bar.update(done.size, o.total, `${o.label} (${state.replace(/_/g, ' ')})`);
  };
  const off = onInterrupt(
    `Stopped waiting; the run goes on. Follow it with: runbox runs status ${runId} --wait`,
  );
  try {
    const run = await client.apps.runs.wait(runId, { onEvent });
    bar.update(
      o.total ?? done.size,
      o.total,
      `${o.label} (${run.status.toLowerCase().replace(/_/g, ' ')})`,
    );
    bar.finish();
    return run;
  } catch (err) {
    bar.clear();
    throw err;
  } finally {
    off();
  }
}

/** Every page of a run's results as one results object (`has_more` false). */
export async function fullResults(
  client: Runbox,
  runId: string,
  query: Omit<ResultsQuery, 'file_offset'> = {},
): Promise<ResultsPage> {
  let page = await client.apps.runs.results(runId, { ...query, file_offset: 0 });
  const files = [...page.files];
  while (page.has_more && page.files.length > 0) {
    page = await client.apps.runs.results(runId, { ...query, file_offset: files.length });
    files.push(...page.files);
  }
  return { ...page, files, has_more: false };
}

/** "took 1.2s" from a run's nanosecond timestamps. */
export function took(run: { start_timestamp: number; finish_timestamp: number | null }) {
  return run.finish_timestamp === null
    ? undefined
    : formatDuration((run.finish_timestamp - run.start_timestamp) / 1e6);
}

/** One line: the run, how it ended, how long it took, and the server's message. */
export function printRunOutcome(out: Output, run: Run): void {
  const time = took(run);
  out.print(
    `Run ${run.id} ${out.status(run.status)}${time ? ` in ${time}` : ''}${run.msg ? `: ${run.msg}` : ''}`,
  );
}

/** After the fields table: what to do next when the run stopped for review or failed. */
export function printNextStep(out: Output, run: { id: string; status: string }): void {
  if (run.status === 'STOPPED_AT_CHECKPOINT') printReviewHint(out, run.id);
  else if (run.status === 'FAILED') {
    out.print();
    out.print(`Why: \`runbox runs logs ${run.id}\`.`);
  }
}

function printReviewHint(out: Output, runId: string): void {
  out.print();
  out.print(
    `Review needed: see \`runbox review show ${runId}\`, correct with \`runbox review fix\`, then \`runbox review resume ${runId}\`.`,
  );
}

const confidenceOf = (f: { confidence?: { model: number | null; ocr: number | null } }) => {
  const c = f.confidence?.model ?? f.confidence?.ocr;
  return c === null || c === undefined ? '' : c.toFixed(2);
};

/** Each file's fields as a table: file, field, value, and confidence / checks when present. */
export function printFields(out: Output, files: ResultFile[]): void {
  if (files.length === 0) return out.print('No results.');
  const manyDocs = files.some((f) => f.documents.length > 1);
  const rows: { file: string; field: string; value: string; conf: string; check: string }[] = [];
  for (const file of files) {
    let any = false;
    for (const [di, doc] of file.documents.entries()) {
      // A failed file has every field set to ERROR with the same message: one row says it.
      const errors = new Set(doc.fields.map((f) => f.error_msg));
      if (doc.fields.length > 0 && errors.size === 1 && !errors.has(undefined)) {
        any = true;
        rows.push({
          file: file.original_file_name,
          field: manyDocs ? `#${di + 1}` : '',
          value: out.paint('red', `failed: ${doc.fields[0]!.error_msg}`),
          conf: '',
          check: '',
        });
        continue;
      }
      for (const f of doc.fields) {
        any = true;
        const failed = f.validations && !f.validations.valid;
        rows.push({
          file: file.original_file_name,
          field: manyDocs ? `#${di + 1} ${f.field_name}` : f.field_name,
          value:
            f.error_msg !== undefined ? out.paint('red', `${f.value}: ${f.error_msg}`) : f.value,
          conf: confidenceOf(f),
          check: !f.validations
            ? ''
            : failed
              ? out.paint('red', `✗ ${f.validations.alerts.map((a) => a.msg).join('; ')}`)
              : 'ok',
        });
      }
    }
    if (!any) {
      rows.push({
        file: file.original_file_name,
        field: '',
        value: '(no fields)',
        conf: '',
        check: '',
      });
    }
  }
  const withConf = rows.some((r) => r.conf !== '');
  const withCheck = rows.some((r) => r.check !== '');
  out.table(
    [
      'FILE',
      'FIELD',
      'VALUE',
      ...(withConf ? ['CONFIDENCE'] : []),
      ...(withCheck ? ['CHECK'] : []),
    ],
    rows.map((r) => [
      r.file,
      r.field,
      r.value,
      ...(withConf ? [r.conf] : []),
      ...(withCheck ? [r.check] : []),
    ]),
  );
}
