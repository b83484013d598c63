import type { Readable } from 'node:stream';
import type { Blobs } from '../blobs/blobs.js';
import { notFound } from '../contract/errors.js';
import { contentTypeOf } from '../domain/content-types.js';
import type { RunFile } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { Principal } from './principal.js';
import type { RunService } from './run-service.js';

/** At most this many files in one page of a run's input files. */
const PAGE = 500;

export interface RunFileView {
  file_index: number;
  name: string;
  size: number;
  state: RunFile['state'];
  error: string | null;
  /** Unix milliseconds. */
  finished_at_ms: number | null;
  needs_review: boolean;
}

/** A run's input files: their outcomes, and their bytes (the dashboard's document preview). */
export class RunFilesService {
  constructor(
    private readonly store: Store,
    private readonly blobs: Blobs,
    private readonly runs: RunService,
  ) {}

  async list(
    p: Principal,
    runId: string,
    offset = 0,
  ): Promise<{ files: RunFileView[]; has_more: boolean }> {
    const run = await this.runs.getRow(p, runId);
    const rows = await this.store.runs.files(run.id, offset, PAGE + 1);
    return {
      files: rows.slice(0, PAGE).map((f) => ({
        file_index: f.file_index,
        name: f.name,
        size: f.size,
        state: f.state,
        error: f.error,
        finished_at_ms: f.finished_at,
        needs_review: f.needs_review === 1,
      })),
      has_more: rows.length > PAGE,
    };
  }

  async content(
    p: Principal,
    runId: string,
    fileIndex: number,
  ): Promise<{ name: string; size: number; contentType: string; body: Readable }> {
    const run = await this.runs.getRow(p, runId);
    const [file] = await this.store.runs.files(run.id, fileIndex, 1);
    if (!file || file.file_index !== fileIndex) throw notFound(`File ${fileIndex} of run ${runId}`);
    return {
      name: file.name,
      size: file.size,
      contentType: contentTypeOf(file.name),
      body: await this.blobs.read(file.blob_key),
    };
  }
}
