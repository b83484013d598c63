import type { ByteSource } from '../blobs/blobs.js';
import type { BatchService } from './batch-service.js';
import type { Principal } from './principal.js';

/**
 * Input carried in the request itself (Apify's run input, a PraisonAI prompt): stored as the
 * one file of a new batch, so the run reads it like any other batch input and deleting the
 * run's input deletes it.
 */
export class RunInputService {
  constructor(private readonly batches: BatchService) {}

  /** A new batch in the caller's (or the given) workspace holding `body` as `filename`. */
  async oneFileBatch(
    p: Principal,
    o: { name: string; filename: string; body: ByteSource; workspace?: string | undefined },
  ): Promise<number> {
    const { id } = await this.batches.create(p, { name: o.name, workspace: o.workspace });
    await this.batches.putFile(p, id, o.filename, o.body);
    return id;
  }
}
