import type { Manifest } from '../domain/manifest.js';
import { parseRunSettings } from '../domain/run-settings.js';
import { aihubStatus } from '../domain/run-state.js';
import type { Store } from '../store/store.js';
import type { Principal } from './principal.js';
import type { RunService } from './run-service.js';
import { runMessage, toResultFile, type ResultFlags } from './run-views.js';

/** Files per results page (the legacy AI Hub API's default page). */
export const RESULTS_PAGE_FILES = 20;

export interface ResultsQuery extends ResultFlags {
  file_offset?: number | undefined;
}

/** `GET /v2/apps/runs/{id}/results` in the reference's `resultsResponse` shape. */
export class RunResultsService {
  constructor(
    private readonly store: Store,
    private readonly runs: RunService,
  ) {}

  /** The run with every file's name and outcome (a run has at most the run-file limit). */
  async outcomes(p: Principal, id: string) {
    const run = await this.runs.getRow(p, id);
    const files = await this.store.runs.files(run.id, 0, run.file_count);
    return { run, files: files.map((f) => ({ name: f.name, state: f.state, error: f.error })) };
  }

  async results(p: Principal, id: string, q: ResultsQuery) {
    const run = await this.runs.getRow(p, id);
    const offset = q.file_offset ?? 0;
    const files = await this.store.runs.files(run.id, offset, RESULTS_PAGE_FILES);
    const version = await this.store.apps.version(run.app_id, run.app_version);
    const manifest = version ? (JSON.parse(version.manifest) as Manifest) : undefined;
    const rules = manifest?.fields ?? [];
    const ws = run.output_workspace;
    const settings = parseRunSettings(run.settings);
    return {
      id: run.id,
      status: aihubStatus(run.state),
      message: runMessage(run),
      start_timestamp: run.created_at * 1_000_000,
      finish_timestamp: run.finished_at === null ? null : run.finished_at * 1_000_000,
      ...(run.batch_id !== null ? { batch_id: String(run.batch_id) } : {}),
      files: files.map((f) =>
        toResultFile(
          f,
          `${run.org_id}/${ws ?? run.created_by}/runs/${run.id}/input/${f.name}`,
          rules,
          q,
        ),
      ),
      keys: { custom: settings.keys.custom },
      review_completed: run.review_completed === 1,
      has_more: offset + files.length < run.file_count,
    };
  }
}
