/**
 * The Runbox SDK: a typed client of the Runbox API (the AI Hub v2 dialect plus Runbox's own
 * endpoints), with no dependency beyond `fetch`. Works in Node 20 and in browsers.
 *
 * @example
 * const runbox = new Runbox({ apiRoot: 'http://localhost:8080/api', token: process.env.RUNBOX_TOKEN! });
 * const { id } = await runbox.batches.create({ name: 'invoices' });
 * await runbox.batches.addFile(id, 'a.pdf', './a.pdf');
 * const run = await runbox.apps.runs.create({ app_name: 'invoice-extractor', batch_id: id });
 * await runbox.apps.runs.wait(run.id);
 * for await (const file of runbox.apps.runs.allResults(run.id)) console.log(file);
 */
import { Admin } from './resources/admin.js';
import { Apps } from './resources/apps.js';
import { Batches } from './resources/batches.js';
import { Files } from './resources/files.js';
import { Jobs } from './resources/jobs.js';
import { Retention } from './resources/retention.js';
import { Review } from './resources/review.js';
import { Secrets } from './resources/secrets.js';
import { Transport, type RunboxOptions } from './transport.js';
import type { CurrentUser } from './types.js';

export class Runbox {
  readonly batches: Batches;
  readonly apps: Apps;
  readonly jobs: Jobs;
  readonly files: Files;
  readonly secrets: Secrets;
  readonly review: Review;
  readonly retention: Retention;
  /** Org administration (org admins only). */
  readonly admin: Admin;
  /** The HTTP layer, for calls the SDK has no method for. */
  readonly transport: Transport;

  constructor(options: RunboxOptions) {
    this.transport = new Transport(options);
    this.batches = new Batches(this.transport);
    this.apps = new Apps(this.transport);
    this.jobs = new Jobs(this.transport);
    this.files = new Files(this.transport);
    this.secrets = new Secrets(this.transport);
    this.review = new Review(this.transport);
    this.retention = new Retention(this.transport);
    this.admin = new Admin(this.transport);
  }

  /**
   * The token's user, the context this client acts in, and every org it may choose.
   * @example const { user_id, orgs } = await runbox.me();
   */
  me(): Promise<CurrentUser> {
    return this.transport.callJson('getCurrentUser');
  }
}

export { RunboxError, RunboxTimeoutError } from './errors.js';
export { ENDPOINTS, type OperationId } from './endpoints.js';
export { MULTIPART_THRESHOLD, type AddFileOptions } from './resources/batches.js';
export { RESTING_STATUSES, type CreateOptions, type RunWaitOptions } from './resources/runs.js';
export type { RunboxOptions, RequestOptions } from './transport.js';
export type { UploadSource } from './upload-source.js';
export type { WaitOptions } from './wait.js';
export type * from './types.js';
