import { conflict, invalidInput, notFound, permissionDenied } from '../contract/errors.js';
import type { EditRecord, StoredDocument } from '../domain/documents.js';
import { sanitiseFieldName } from '../domain/field-names.js';
import type { Manifest } from '../domain/manifest.js';
import { aihubStatus, type AihubRunStatus } from '../domain/run-state.js';
import type { Sources } from '../domain/sources.js';
import {
  validateDocument,
  type ValidatedDocument,
  type ValidatedField,
} from '../domain/validation.js';
import { statusEvent } from '../engine/run-executor.js';
import type { RunSignals } from '../engine/run-signals.js';
import { notificationJob } from '../engine/webhooks/run-notifications.js';
import type { Run, RunFile } from '../store/schema.js';
import type { Repositories, Store } from '../store/store.js';
import { isAdmin, type Principal } from './principal.js';
import type { RunService } from './run-service.js';
import { toAihubRun, type AihubRun } from './run-views.js';

export interface Correction {
  /** Which document of the file (default 0). */
  document_index?: number | undefined;
  /** The field's name as the app returned it, or as results show it (sanitised). */
  field_name: string;
  value: string;
}

export interface ReviewFileInput {
  corrections?: Correction[] | undefined;
  /** Mark the file reviewed (true) or not yet (false). */
  reviewed?: boolean | undefined;
}

export interface ReviewFileView {
  file_index: number;
  original_file_name: string;
  reviewed: boolean;
  reviewed_by: string | null;
  reviewed_at_ms: number | null;
  documents: {
    document_index: number;
    class_name: string | null;
    final_result_pass: boolean;
    failing_fields: string[];
    fields: {
      field_name: string;
      value: string;
      type: string;
      confidence: number | null;
      validations: { valid: boolean; alerts: unknown[] };
      edit_history: EditRecord[];
    }[];
  }[];
}

export interface ReviewView {
  run_id: string;
  status: AihubRunStatus;
  review_completed: boolean;
  files_to_review: number;
  files_reviewed: number;
  files: ReviewFileView[];
}

/**
 * Human review (SPEC §8, our extension): a run stopped at the checkpoint shows the files its
 * review policy flagged; reviewers correct values (each change recorded in `edit_history` and
 * re-validated) and mark files reviewed; resuming completes the run once every flagged file is
 * reviewed (or an admin forces it).
 */
export class ReviewService {
  constructor(
    private readonly store: Store,
    private readonly runs: RunService,
    private readonly sources: Sources,
    private readonly signals: RunSignals,
  ) {}

  async get(p: Principal, runId: string): Promise<ReviewView> {
    const run = await this.runs.getRow(p, runId);
    const files = await this.store.runs.filesToReview(run.id);
    return {
      run_id: run.id,
      status: aihubStatus(run.state),
      review_completed: run.review_completed === 1,
      files_to_review: files.length,
      files_reviewed: files.filter((f) => f.reviewed_at !== null).length,
      files: files.map(toFileView),
    };
  }

  async reviewFile(
    p: Principal,
    runId: string,
    fileIndex: number,
    input: ReviewFileInput,
  ): Promise<ReviewFileView> {
    const run = await this.atCheckpoint(p, runId);
    const file = await this.store.runs.file(run.id, fileIndex);
    if (!file) throw notFound(`File ${fileIndex} of run ${run.id}`);
    if (file.needs_review !== 1) throw conflict(`File ${fileIndex} does not need review.`);
    const rules = (await this.manifest(run)).fields ?? [];
    const now = this.sources.clock.now();
    const docs = parseDocs(file);
    for (const [i, c] of (input.corrections ?? []).entries()) {
      const d = c.document_index ?? 0;
      const doc = docs[d];
      if (!doc)
        throw invalidInput(`corrections[${i}].document_index ${d} is not a document of the file.`);
      const field =
        doc.fields.find((f) => f.name === c.field_name) ??
        doc.fields.find((f) => sanitiseFieldName(f.name) === c.field_name);
      if (!field) {
        throw invalidInput(
          `corrections[${i}].field_name ${c.field_name} is not a field of document ${d}.`,
        );
      }
      const unchanged = field.value === c.value && field.error_msg === undefined;
      // Sending a valid field's own value changes nothing; an invalid one's confirms it (a
      // person vouches for it, so it is no longer held to the model's confidence threshold).
      if (unchanged && (field as Partial<ValidatedField>).validations?.valid !== false) continue;
      const edit: EditRecord = {
        timestamp: new Date(now).toISOString(),
        user_id: p.userId,
        modifications: [
          {
            message: unchanged
              ? `Confirmed ${field.name} as ${JSON.stringify(c.value)}.`
              : `Changed ${field.name} from ${JSON.stringify(field.value)} to ${JSON.stringify(c.value)}.`,
          },
        ],
      };
      field.value = c.value;
      delete field.error_msg;
      field.edit_history = [...(field.edit_history ?? []), edit];
      docs[d] = validateDocument(doc, rules);
    }
    const documents = JSON.stringify(docs);
    const reviewed = await this.store.transaction(async (tx) => {
      // Locks the run's row until commit, so reviews of one run, resume and cancel take turns
      // (a plain read would let another reviewer's commit slip in before this write).
      if (!(await lockAtCheckpoint(tx, run.id))) return undefined;
      const current = await tx.runs.file(run.id, fileIndex);
      if (current?.documents !== file.documents) return undefined;
      // Without `reviewed` the mark is left as it is now, not as it was when the file was read.
      const mark =
        input.reviewed === undefined
          ? { reviewed_by: current.reviewed_by, reviewed_at: current.reviewed_at }
          : input.reviewed
            ? { reviewed_by: p.userId, reviewed_at: now }
            : { reviewed_by: null, reviewed_at: null };
      const saved = await tx.runs.saveReview(run.id, fileIndex, file.documents, {
        documents,
        ...mark,
      });
      return saved ? mark : undefined;
    });
    if (!reviewed) {
      throw conflict('The file or the run changed while it was being reviewed; read it again.');
    }
    this.signals.changed(run.id);
    return toFileView({ ...file, documents, ...reviewed });
  }

  async resume(p: Principal, runId: string, o: { force?: boolean | undefined }): Promise<AihubRun> {
    const { sources } = this;
    const now = sources.clock.now();
    const done = await this.store.transaction(async (tx) => {
      const run = await tx.runs.get(p.orgId, runId);
      if (!run) throw notFound(`Run ${runId}`);
      // After the lookup, so a run that is not there (or is another org's) is 404 for everyone.
      if (o.force && !isAdmin(p)) {
        throw permissionDenied('Only org admins may resume a run with files still unreviewed.');
      }
      assertCheckpoint(run);
      // Counted under the run's row lock: a reviewer cannot un-mark a file between the count
      // and the transition.
      if (!(await lockAtCheckpoint(tx, run.id))) {
        throw conflict('The run changed state while resuming; try again.');
      }
      const left = await tx.runs.unreviewedCount(run.id);
      if (left > 0 && !o.force) {
        throw conflict(
          `${left} file${left === 1 ? '' : 's'} still need${left === 1 ? 's' : ''} review; review them first (or an admin resumes with force).`,
        );
      }
      const msg =
        left > 0
          ? `Resumed by ${p.userId} with ${left} file${left === 1 ? '' : 's'} unreviewed (forced); the run is complete.`
          : `Review completed; resumed by ${p.userId}. The run is complete.`;
      if (
        !(await tx.runs.transition(run.id, ['stopped_at_checkpoint'], 'complete', {
          msg,
          finished_at: now,
          review_completed: 1,
        }))
      ) {
        throw conflict('The run changed state while resuming; try again.');
      }
      await tx.runEvents.append([statusEvent(run.id, now, 'complete', msg)]);
      const job = notificationJob(run, 'complete', now, sources.ids.uuid());
      if (job) await tx.jobs.enqueue(job);
      return job !== undefined;
    });
    if (done) this.signals.newJobs();
    this.signals.changed(runId);
    return toAihubRun(await this.runs.getRow(p, runId));
  }

  private async atCheckpoint(p: Principal, runId: string): Promise<Run> {
    const run = await this.runs.getRow(p, runId);
    assertCheckpoint(run);
    return run;
  }

  private async manifest(run: Run): Promise<Manifest> {
    const v = await this.store.apps.version(run.app_id, run.app_version);
    return v ? (JSON.parse(v.manifest) as Manifest) : ({} as Manifest);
  }
}

/**
 * Writes the run's row without changing it (state stays `stopped_at_checkpoint`), which holds
 * the row's lock until the transaction ends; false when the run is no longer at the checkpoint.
 */
const lockAtCheckpoint = (tx: Repositories, runId: string): Promise<boolean> =>
  tx.runs.transition(runId, ['stopped_at_checkpoint'], 'stopped_at_checkpoint', {});

function assertCheckpoint(run: Run): void {
  if (run.state !== 'stopped_at_checkpoint') {
    throw conflict(
      `The run is not stopped at a checkpoint (it is ${aihubStatus(run.state)}); there is nothing to review.`,
    );
  }
}

const parseDocs = (f: RunFile): StoredDocument[] =>
  f.documents === null ? [] : (JSON.parse(f.documents) as StoredDocument[]);

function toFileView(f: RunFile): ReviewFileView {
  const docs = parseDocs(f) as ValidatedDocument[];
  return {
    file_index: f.file_index,
    original_file_name: f.name,
    reviewed: f.reviewed_at !== null,
    reviewed_by: f.reviewed_by,
    reviewed_at_ms: f.reviewed_at,
    documents: docs.map((d, i) => ({
      document_index: i,
      class_name: d.class_name,
      final_result_pass: d.validations?.final_result_pass ?? true,
      failing_fields: d.fields
        .filter((x) => x.validations && !x.validations.valid)
        .map((x) => x.name),
      fields: d.fields.map((x) => ({
        field_name: x.name,
        value: x.value,
        type: x.type,
        confidence: x.confidence,
        validations: x.validations ?? { valid: true, alerts: [] },
        edit_history: x.edit_history ?? [],
      })),
    })),
  };
}
