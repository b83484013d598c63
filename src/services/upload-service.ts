import type { Blobs, ByteSource } from '../blobs/blobs.js';
import { conflict, invalidInput, notFound, payloadTooLarge } from '../contract/errors.js';
import { expectedPartSize, partCount } from '../domain/multipart.js';
import { checkFileName } from '../domain/names.js';
import type { Sources } from '../domain/sources.js';
import type { UploadSession } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { batchPrefix, type BatchService } from './batch-service.js';
import type { Limits } from './limits.js';
import type { Principal } from './principal.js';

/**
 * The three-step upload for large batch files: open a session, PUT parts 1…n in order (each
 * exactly `part_size` bytes but the last), then commit (or abort). Parts go straight to the
 * blob store's multipart upload; the commit assembles them and attaches the file to the batch.
 */
export class UploadService {
  /** Sessions this process is committing or aborting right now. */
  private readonly finishing = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly blobs: Blobs,
    private readonly batches: BatchService,
    private readonly sources: Sources,
    private readonly limits: Limits,
  ) {}

  async create(
    p: Principal,
    input: { batch_id: number; filename: string; file_size: number },
  ): Promise<{ session_id: string; part_size: number }> {
    const filename = checkFileName(input.filename);
    if (!Number.isSafeInteger(input.file_size) || input.file_size < 0) {
      throw invalidInput('file_size must be a non-negative integer.');
    }
    if (input.file_size > this.limits.maxFileBytes) {
      throw payloadTooLarge(`file_size is over the limit of ${this.limits.maxFileBytes} bytes.`);
    }
    await this.batches.visible(this.store, p, input.batch_id);
    const key = `${batchPrefix(input.batch_id)}/${this.sources.ids.uuid()}`;
    const uploadId = await this.blobs.createMultipart(key);
    const now = this.sources.clock.now();
    const session: UploadSession = {
      id: this.sources.ids.randomToken(32),
      org_id: p.orgId,
      batch_id: input.batch_id,
      filename,
      file_size: input.file_size,
      part_size: this.limits.partBytes,
      blob_key: key,
      blob_upload_id: uploadId,
      state: 'open',
      created_by: p.userId,
      created_at: now,
      updated_at: now,
    };
    await this.store.uploads.create(session);
    return { session_id: session.id, part_size: session.part_size };
  }

  private async session(p: Principal, id: string): Promise<UploadSession> {
    const s = await this.store.uploads.get(p.orgId, id);
    if (!s) throw notFound('Upload session');
    await this.batches.visible(this.store, p, s.batch_id);
    return s;
  }

  async putPart(
    p: Principal,
    sessionId: string,
    partNum: number,
    body: ByteSource,
  ): Promise<{ part_id: string; part_num: number }> {
    const s = await this.session(p, sessionId);
    if (s.state !== 'open') throw conflict(`The upload session is already ${s.state}.`);
    if (this.finishing.has(s.id))
      throw conflict('The upload session is being committed or aborted.');
    const count = partCount(s.file_size, s.part_size);
    if (!Number.isInteger(partNum) || partNum < 1 || partNum > count) {
      throw invalidInput(`part_num must be between 1 and ${count} for this file.`);
    }
    if (partNum > 1 && !(await this.store.uploads.part(s.id, partNum - 1))) {
      throw invalidInput(`Parts must be uploaded in order: part ${partNum - 1} is missing.`);
    }
    const size = expectedPartSize(s.file_size, s.part_size, partNum);
    const { etag } = await this.blobs.writePart(s.blob_upload_id, partNum, body, {
      exactBytes: size,
    });
    const partId = `${partNum}-${etag}`;
    await this.store.uploads.putPart({
      session_id: s.id,
      part_num: partNum,
      part_id: partId,
      size,
      created_at: this.sources.clock.now(),
    });
    return { part_id: partId, part_num: partNum };
  }

  async finish(
    p: Principal,
    sessionId: string,
    input: {
      action: 'commit' | 'abort';
      parts?: { part_num: number; part_id: string }[] | undefined;
    },
  ): Promise<void> {
    const s = await this.session(p, sessionId);
    // A retried or doubled commit must not race the first one: the loser would otherwise
    // remove the object the winner just attached.
    if (this.finishing.has(s.id))
      throw conflict('The upload session is being committed or aborted.');
    this.finishing.add(s.id);
    try {
      if (input.action === 'abort') await this.abort(s);
      else await this.commit(p, s, input.parts);
    } finally {
      this.finishing.delete(s.id);
    }
  }

  private async abort(s: UploadSession): Promise<void> {
    if (s.state === 'committed') throw conflict('The upload session is already committed.');
    if (s.state !== 'open') return;
    if (await this.store.uploads.close(s.id, 'aborted', this.sources.clock.now())) {
      await this.blobs.abortMultipart(s.blob_upload_id, s.blob_key);
      return;
    }
    // Closed meanwhile by another process: aborting twice is fine, aborting a commit is not.
    if ((await this.store.uploads.get(s.org_id, s.id))?.state === 'committed') {
      throw conflict('The upload session is already committed.');
    }
  }

  private async commit(
    p: Principal,
    s: UploadSession,
    parts: { part_num: number; part_id: string }[] | undefined,
  ): Promise<void> {
    if (s.state !== 'open') throw conflict(`The upload session is already ${s.state}.`);
    if (!parts) throw invalidInput('parts is required to commit.');
    const count = partCount(s.file_size, s.part_size);
    const stored = new Map((await this.store.uploads.parts(s.id)).map((x) => [x.part_num, x]));
    for (let n = 1; n <= count; n++) {
      const given = parts[n - 1];
      const have = stored.get(n);
      if (!have) throw invalidInput(`Part ${n} has not been uploaded.`);
      if (!given || given.part_num !== n || given.part_id !== have.part_id) {
        throw invalidInput(`parts[${n - 1}] must be part ${n} with part_id "${have.part_id}".`);
      }
    }
    if (parts.length !== count) {
      throw invalidInput(`This file has ${count} part(s); ${parts.length} were given.`);
    }
    let size: number;
    try {
      ({ size } = await this.blobs.completeMultipart(
        s.blob_upload_id,
        s.blob_key,
        // part_id is `<part_num>-<etag of the stored part>`.
        parts.map((x) => ({
          partNum: x.part_num,
          etag: x.part_id.slice(x.part_id.indexOf('-') + 1),
        })),
      ));
    } catch (err) {
      // The parts are gone when another process committed or aborted the session meanwhile.
      const now = await this.store.uploads.get(s.org_id, s.id);
      if (now && now.state !== 'open')
        throw conflict(`The upload session is already ${now.state}.`);
      throw err;
    }
    try {
      await this.batches.attach(p, s.batch_id, s.filename, s.blob_key, size, async (tx) => {
        if (!(await tx.uploads.close(s.id, 'committed', this.sources.clock.now()))) {
          throw conflict('The upload session was closed while committing.');
        }
      });
    } catch (err) {
      // Once another process's commit of this session won, the object is that commit's file.
      if ((await this.store.uploads.get(s.org_id, s.id))?.state !== 'committed') {
        await this.blobs.delete(s.blob_key).catch(() => undefined);
      }
      throw err;
    }
  }
}
