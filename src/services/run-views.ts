/**
 * How runs and their results look on the AI Hub v2 wire: timestamps in nanoseconds, the six
 * statuses, `msg` on runs and `message` on results, `batch_id` an integer on runs and a string
 * on results (as the reference has it), field names sanitised.
 */
import type { StoredDocument } from '../domain/documents.js';
import { failedDocuments } from '../domain/documents.js';
import { validateDocuments, type ValidatedDocument } from '../domain/validation.js';
import { sanitiseFieldName } from '../domain/field-names.js';
import type { FieldRule } from '../domain/manifest.js';
import { aihubStatus, type AihubRunStatus, type RunState } from '../domain/run-state.js';
import type { Run, RunFile } from '../store/schema.js';

const NS_PER_MS = 1_000_000;

export interface AihubRun {
  id: string;
  status: AihubRunStatus;
  start_timestamp: number;
  finish_timestamp: number | null;
  msg: string | null;
  batch_id: number | null;
  input_dir: string | null;
  app_id: string | null;
  deployment_id: string | null;
  tags: string[] | null;
}

const DEFAULT_MSG: Record<RunState, string> = {
  queued: 'The run is queued.',
  running: 'The run is running.',
  cancelling: 'The run is being cancelled.',
  stopped_at_checkpoint: 'The run stopped at a checkpoint for human review.',
  complete: 'The run completed.',
  failed: 'The run failed.',
  timed_out: 'The run timed out.',
  cancelled: 'The run was cancelled.',
};

/** The message shown with a status: while queued or cancelling AI Hub shows RUNNING, so `msg` says which. */
export function runMessage(run: Run): string {
  if (run.state === 'queued' || run.state === 'cancelling') return DEFAULT_MSG[run.state];
  return run.msg ?? DEFAULT_MSG[run.state];
}

export function toAihubRun(run: Run): AihubRun {
  return {
    id: run.id,
    status: aihubStatus(run.state),
    start_timestamp: run.created_at * NS_PER_MS,
    finish_timestamp: run.finished_at === null ? null : run.finished_at * NS_PER_MS,
    msg: runMessage(run),
    batch_id: run.batch_id,
    input_dir: run.input_dir,
    app_id: run.app_id,
    deployment_id: run.deployment_id,
    tags: run.tags === null ? null : (JSON.parse(run.tags) as string[]),
  };
}

export interface ResultFlags {
  include_confidence_scores?: boolean | undefined;
  include_source_info?: boolean | undefined;
  include_review_results?: boolean | undefined;
  include_validation_results?: boolean | undefined;
}

export function toResultFields(doc: ValidatedDocument, flags: ResultFlags) {
  return doc.fields.map((f) => ({
    field_name: sanitiseFieldName(f.name),
    value: f.value,
    type: f.type,
    ...(f.error_msg !== undefined ? { error_msg: f.error_msg } : {}),
    ...(flags.include_confidence_scores ? { confidence: { model: f.confidence, ocr: null } } : {}),
    ...(flags.include_source_info ? { source_coordinates: f.source } : {}),
    ...(flags.include_review_results ? { edit_history: f.edit_history ?? [] } : {}),
    ...(flags.include_validation_results ? { validations: f.validations } : {}),
  }));
}

export function toResultFile(
  file: RunFile,
  inputPath: string,
  rules: readonly FieldRule[],
  flags: ResultFlags,
) {
  // Documents stored before validation existed are validated when read.
  const docs: ValidatedDocument[] = validateDocuments(
    file.state === 'done'
      ? (JSON.parse(file.documents ?? '[]') as StoredDocument[])
      : file.state === 'failed'
        ? failedDocuments(file.error ?? 'The file failed.', rules)
        : [],
    rules,
  );
  return {
    original_file_name: file.name,
    input_file_path: inputPath,
    documents: docs.map((d) => ({
      class_name: d.class_name,
      page_numbers: d.page_numbers,
      fields: toResultFields(d, flags),
      ...(flags.include_review_results
        ? { review_completed: file.reviewed_at !== null, class_edit_history: [] }
        : {}),
      ...(flags.include_validation_results
        ? { validations: { final_result_pass: d.validations.final_result_pass } }
        : {}),
      ...(flags.include_source_info ? { post_processed_paths: [] as string[] } : {}),
      ...(flags.include_confidence_scores ? { classification_confidence: { model: null } } : {}),
    })),
  };
}
