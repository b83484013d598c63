import type { Readable } from 'node:stream';
import type { Blobs, BlobStat, ByteRange, ByteSource } from '../blobs/blobs.js';
import { invalidInput, notFound, payloadTooLarge, RunboxError } from '../contract/errors.js';
import { parseWorkspacePath, type WorkspacePath } from '../domain/paths.js';
import type { Store } from '../store/store.js';
import type { JobService } from './job-service.js';
import type { Limits } from './limits.js';
import type { Principal } from './principal.js';
import { canUseWorkspace } from './workspace-access.js';

export interface ResolvedPath {
  path: WorkspacePath;
  /** The blob key: by workspace id, so names in paths never reach storage unchecked. */
  key: string;
}

export interface FolderListing {
  nodes: {
    full_path: string;
    name: string;
    metadata: { node_type: 'file' | 'folder'; size: number; modified_timestamp: number };
  }[];
}

/** The Files API over workspace drives: `<org>/<workspace>/fs/<drive>/<folder…>/<file>`. */
export class FileService {
  constructor(
    private readonly store: Store,
    private readonly blobs: Blobs,
    private readonly jobs: JobService,
    private readonly limits: Limits,
  ) {}

  /** Parses and checks the path against the context: another org's or a hidden workspace's path is 404. */
  async resolve(p: Principal, raw: string): Promise<ResolvedPath> {
    const path = parseWorkspacePath(raw);
    const ws =
      path.org === p.orgId
        ? await this.store.workspaces.byName(p.orgId, path.workspace)
        : undefined;
    if (!ws || !canUseWorkspace(p, ws)) throw notFound(`Path ${raw}`);
    const key = ['files', ws.org_id, ws.id, path.drive, ...path.segments].join('/');
    return { path, key };
  }

  async stat(p: Principal, raw: string): Promise<BlobStat> {
    const { key } = await this.resolve(p, raw);
    const s = await this.blobs.stat(key);
    if (!s) throw notFound(`Path ${raw}`);
    return s;
  }

  /** Reads a file, or the range `rangeFor` picks once the size is known. */
  async readFile(
    p: Principal,
    raw: string,
    rangeFor: (size: number) => ByteRange | undefined = () => undefined,
  ): Promise<{ stat: BlobStat; range: ByteRange | undefined; body: Readable }> {
    const { key } = await this.resolve(p, raw);
    const stat = await this.blobs.stat(key);
    if (!stat) throw notFound(`Path ${raw}`);
    if (stat.kind !== 'file') throw invalidInput(`${raw} is a folder, not a file.`);
    const range = rangeFor(stat.size);
    return { stat, range, body: await this.blobs.read(key, range) };
  }

  async listFolder(p: Principal, raw: string): Promise<FolderListing> {
    const { key, path } = await this.resolve(p, raw);
    const stat = await this.blobs.stat(key);
    if (!stat && path.segments.length > 0) throw notFound(`Path ${raw}`);
    if (stat && stat.kind !== 'folder') throw invalidInput(`${raw} is a file, not a folder.`);
    const base = [path.org, path.workspace, 'fs', path.drive, ...path.segments].join('/');
    const entries = await this.blobs.list(key);
    return {
      nodes: entries.map((e) => ({
        full_path: `${base}/${e.name}`,
        name: e.name,
        metadata: {
          node_type: e.kind,
          size: e.size,
          modified_timestamp: Math.floor(e.modifiedAt / 1000),
        },
      })),
    };
  }

  /**
   * Creates or replaces a file (parents appear implicitly). With `ifNoneMatch: true` an
   * existing file is a 412 and nothing is written. Returns whether the file is new.
   */
  async write(
    p: Principal,
    raw: string,
    body: ByteSource,
    opts: { ifNoneMatch: boolean; declaredLength?: number | undefined },
  ): Promise<{ created: boolean }> {
    const { key, path } = await this.resolve(p, raw);
    if (path.segments.length === 0) throw invalidInput('path must name a file inside the drive.');
    const max = this.limits.maxFileBytes;
    if (opts.declaredLength !== undefined && opts.declaredLength > max) {
      throw payloadTooLarge(`The file is larger than the limit of ${max} bytes.`);
    }
    const checkAndWrite = async () => {
      const existing = await this.blobs.stat(key);
      if (existing?.kind === 'folder') throw invalidInput(`${raw} is a folder.`);
      if (!existing) await this.checkParentsAreFolders(key, path);
      if (existing && opts.ifNoneMatch) {
        throw new RunboxError('precondition-failed', `${raw} already exists.`);
      }
      await this.blobs.write(key, body, { maxBytes: max });
      return { created: !existing };
    };
    // Conditional creates of one path take turns, so only one of them can see it absent.
    // (Within this process: across processes storage itself would have to create atomically.)
    return opts.ifNoneMatch ? this.oneAtATime(key, checkAndWrite) : checkAndWrite();
  }

  private readonly creating = new Map<string, Promise<unknown>>();

  private async oneAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.creating.get(key) ?? Promise.resolve()).then(fn);
    const settled = run.catch(() => undefined);
    this.creating.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.creating.get(key) === settled) this.creating.delete(key);
    }
  }

  /**
   * A new file's ancestors must be folders or not exist yet: storage would otherwise fail
   * (a file cannot hold children) or, on object stores, make one name both a file and a folder.
   */
  private async checkParentsAreFolders(key: string, path: WorkspacePath): Promise<void> {
    const segments = key.split('/');
    for (let i = 1; i < path.segments.length; i++) {
      const ancestor = segments.slice(0, segments.length - path.segments.length + i).join('/');
      const s = await this.blobs.stat(ancestor);
      if (!s) return;
      if (s.kind === 'file') {
        throw invalidInput(`${path.segments.slice(0, i).join('/')} is a file, not a folder.`);
      }
    }
  }

  /** Deletes a file or folder in a job; accepted whether or not the path exists. */
  async delete(p: Principal, raw: string): Promise<string> {
    const { key, path } = await this.resolve(p, raw);
    if (path.segments.length === 0) throw invalidInput('The drive root cannot be deleted.');
    const jobId = await this.store.transaction((tx) =>
      this.jobs.enqueue(tx, p.orgId, 'delete-path', { key }),
    );
    this.jobs.wake();
    return jobId;
  }
}
