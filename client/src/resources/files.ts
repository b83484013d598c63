import type { Transport } from '../transport.js';
import type { FolderListing } from '../types.js';
import { openSource, uploadBody, type UploadSource } from '../upload-source.js';

/** Workspace drive files by path (`<org>/<workspace>/fs/Runbox Drive/<path>`). */
export class Files {
  constructor(private readonly t: Transport) {}

  /**
   * A file's bytes (a `range` such as `bytes=0-99` reads part of it).
   * @example const bytes = await runbox.files.read('acme/Finance/fs/Runbox Drive/in/a.pdf');
   */
  async read(path: string, o: { range?: string } = {}): Promise<Uint8Array> {
    const res = await this.t.call(
      'readFile',
      { path },
      { query: { 'expect-node-type': 'file' }, headers: o.range ? { range: o.range } : {} },
    );
    return new Uint8Array(await res.arrayBuffer());
  }

  /**
   * A folder's entries.
   * @example const { nodes } = await runbox.files.list('acme/Finance/fs/Runbox Drive/in');
   */
  list(path: string): Promise<FolderListing> {
    return this.t.callJson('readFile', { path }, { query: { 'expect-node-type': 'folder' } });
  }

  /**
   * Writes a file (`ifNoneMatch: true` refuses to overwrite one that exists).
   * @example await runbox.files.write('acme/Finance/fs/Runbox Drive/in/a.txt', 'hello');
   */
  async write(
    path: string,
    content: UploadSource,
    o: { ifNoneMatch?: boolean } = {},
  ): Promise<void> {
    const src = await openSource(
      typeof content === 'string' ? new TextEncoder().encode(content) : content,
    );
    try {
      await this.t.call(
        'writeFile',
        { path },
        {
          body: await uploadBody(src),
          headers: {
            'content-type': 'application/octet-stream',
            ...(o.ifNoneMatch ? { 'if-none-match': '*' } : {}),
          },
        },
      );
    } finally {
      await src.close();
    }
  }

  /**
   * Size and modification time of a file, or undefined when there is none.
   * @example const meta = await runbox.files.stat(path);
   */
  async stat(path: string): Promise<{ size: number; modified: string | null } | undefined> {
    try {
      const res = await this.t.call('getFileMetadata', { path });
      return {
        size: Number(res.headers.get('content-length') ?? 0),
        modified: res.headers.get('last-modified'),
      };
    } catch (err) {
      if ((err as { status?: number }).status === 404) return undefined;
      throw err;
    }
  }

  /**
   * Deletes a file or a folder (asynchronously): returns the job id.
   * @example const jobId = await runbox.files.delete(path); await runbox.jobs.wait(jobId);
   */
  async delete(path: string): Promise<string> {
    const res = await this.t.call('deleteFileOrFolder', { path });
    return (
      String(res.headers.get('location') ?? '')
        .split('/')
        .pop() ?? ''
    );
  }
}
