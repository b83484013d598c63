import type { Transport } from '../transport.js';
import type { CreateSecretRequest, Secret, UpdateSecretRequest } from '../types.js';

/** Org secrets by alias (values are write-only; writes by org admins). */
export class Secrets {
  constructor(private readonly t: Transport) {}

  /**
   * Secrets of the org (admins), or those usable in a workspace.
   * @example const { secrets } = await runbox.secrets.list({ workspace: 'Finance' });
   */
  list(query: { workspace?: string; alias?: string } = {}): Promise<{ secrets: Secret[] }> {
    return this.t.callJson('listSecrets', {}, { query });
  }

  /**
   * Creates a secret.
   * @example await runbox.secrets.create({ alias: 'ocr', value: key, allowed_workspaces_type: 'ALL' });
   */
  async create(body: CreateSecretRequest): Promise<void> {
    await this.t.call('createSecret', {}, { json: body });
  }

  /**
   * Changes a secret's value, description or allowed workspaces.
   * @example await runbox.secrets.update({ alias: 'ocr', value: newKey });
   */
  async update(body: UpdateSecretRequest): Promise<void> {
    await this.t.call('updateSecret', {}, { json: body, idempotent: true });
  }

  /**
   * Deletes a secret.
   * @example await runbox.secrets.delete('ocr');
   */
  async delete(alias: string): Promise<void> {
    await this.t.call('deleteSecret', {}, { json: { alias } });
  }
}
