import { conflict, invalidInput, notFound, permissionDenied } from '../contract/errors.js';
import type { SecretBox } from '../domain/secret-box.js';
import type { Sources } from '../domain/sources.js';
import type { Run, Secret } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { isAdmin, type Principal } from './principal.js';
import { resolveWorkspace } from './workspace-access.js';

export type AllowedWorkspacesType = 'ALL' | 'SOME' | 'NONE';

export interface SecretInput {
  alias?: string | undefined;
  description?: string | undefined;
  value?: string | undefined;
  allowed_workspaces_type?: AllowedWorkspacesType | undefined;
  allowed_workspaces?: string[] | undefined;
}

/** The reference's `secret` object: everything but the value. */
export interface SecretInfo {
  alias: string;
  description: string;
  allowed_workspaces_type: AllowedWorkspacesType;
  allowed_workspaces: string[];
  org: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  last_updated_by: string;
}

export const MAX_SECRET_BYTES = 64 * 1024;
const ALIAS = /^[A-Za-z0-9_.-]{1,128}$/;

/** Why a run's secret could not be given to its app: the run fails with this message. */
export class SecretResolutionError extends Error {}

/**
 * Org secrets (`/v2/aihub/secrets`, SPEC §9): values sealed with the server key at rest,
 * written by org admins only, never returned. Runs name them by alias; the worker opens them
 * for the app alone.
 */
export class SecretService {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly sources: Sources,
  ) {}

  async list(
    p: Principal,
    q: { workspace?: string | undefined; alias?: string | undefined },
  ): Promise<SecretInfo[]> {
    if (!isAdmin(p) && q.workspace === undefined) {
      throw permissionDenied('Only org admins can list every secret; give a workspace.');
    }
    if (q.workspace !== undefined) await resolveWorkspace(this.store, p, q.workspace);
    const all = await this.store.secrets.list(p.orgId);
    return all
      .filter((s) => q.alias === undefined || s.alias === q.alias)
      .filter((s) => q.workspace === undefined || allows(s, q.workspace))
      .map((s) => toInfo(s, p.orgId));
  }

  async create(p: Principal, input: SecretInput): Promise<SecretInfo> {
    this.assertAdmin(p);
    const alias = checkAlias(input.alias);
    if (input.value === undefined) throw invalidInput('value is required.');
    if (input.allowed_workspaces_type === undefined)
      throw invalidInput('allowed_workspaces_type is required.');
    const allowed = await this.allowedWorkspaces(p, input);
    const now = this.sources.clock.now();
    const row: Secret = {
      org_id: p.orgId,
      alias,
      description: input.description ?? '',
      allowed_workspaces_type: input.allowed_workspaces_type,
      allowed_workspaces: JSON.stringify(allowed),
      sealed_value: this.box.seal(checkValue(input.value), sealContext(p.orgId, alias)),
      created_by: p.userId,
      created_at: now,
      last_updated_by: p.userId,
      updated_at: now,
    };
    if (await this.store.secrets.get(p.orgId, alias)) {
      throw conflict(`A secret with alias ${alias} already exists.`);
    }
    await this.store.secrets.create(row);
    return toInfo(row, p.orgId);
  }

  /** Changes what is given; the rest stays as it was. */
  async update(p: Principal, input: SecretInput): Promise<SecretInfo> {
    this.assertAdmin(p);
    const alias = checkAlias(input.alias);
    const current = await this.store.secrets.get(p.orgId, alias);
    if (!current) throw notFound(`Secret ${alias}`);
    const type = input.allowed_workspaces_type ?? current.allowed_workspaces_type;
    const allowed =
      input.allowed_workspaces_type !== undefined || input.allowed_workspaces !== undefined
        ? await this.allowedWorkspaces(p, {
            allowed_workspaces_type: type,
            allowed_workspaces:
              input.allowed_workspaces ?? (JSON.parse(current.allowed_workspaces) as string[]),
          })
        : (JSON.parse(current.allowed_workspaces) as string[]);
    const set = {
      description: input.description ?? current.description,
      allowed_workspaces_type: type,
      allowed_workspaces: JSON.stringify(allowed),
      ...(input.value !== undefined
        ? { sealed_value: this.box.seal(checkValue(input.value), sealContext(p.orgId, alias)) }
        : {}),
      last_updated_by: p.userId,
      updated_at: this.sources.clock.now(),
    };
    if (!(await this.store.secrets.update(p.orgId, alias, set))) throw notFound(`Secret ${alias}`);
    return toInfo({ ...current, ...set }, p.orgId);
  }

  async delete(p: Principal, aliasInput: string | undefined): Promise<void> {
    this.assertAdmin(p);
    const alias = checkAlias(aliasInput);
    if (!(await this.store.secrets.delete(p.orgId, alias))) throw notFound(`Secret ${alias}`);
  }

  /**
   * The values a run's app gets, by the app's key names. Fails (for the run, not the server)
   * when an alias does not exist, the secret may not be used in the run's workspace, or its
   * value was sealed with another server key.
   */
  async forRun(run: Run, keys: Record<string, string>): Promise<Record<string, string>> {
    const aliases = [...new Set(Object.values(keys))];
    const rows = new Map(
      (await this.store.secrets.byAliases(run.org_id, aliases)).map((s) => [s.alias, s]),
    );
    const workspace = run.output_workspace ?? run.created_by;
    const out: Record<string, string> = {};
    for (const [name, alias] of Object.entries(keys)) {
      const s = rows.get(alias);
      if (!s)
        throw new SecretResolutionError(`Secret alias ${alias} (for key ${name}) does not exist.`);
      if (!allows(s, workspace)) {
        throw new SecretResolutionError(
          `Secret ${alias} (for key ${name}) may not be used in workspace ${workspace}.`,
        );
      }
      try {
        out[name] = this.box.open(s.sealed_value, sealContext(run.org_id, alias));
      } catch {
        // Sealed with another server key (the key changed, or processes disagree on it): the run
        // fails naming the secret, rather than as an engine error retried without saying why.
        throw new SecretResolutionError(
          `Secret ${alias} (for key ${name}) cannot be opened with this server's key: every process needs the key that sealed it (RUNBOX_SECRET_KEY or <data dir>/secret-key); if that key is lost, an admin must set the value again.`,
        );
      }
    }
    return out;
  }

  private assertAdmin(p: Principal): void {
    if (!isAdmin(p)) throw permissionDenied('Only org admins can change secrets.');
  }

  private async allowedWorkspaces(p: Principal, input: SecretInput): Promise<string[]> {
    if (input.allowed_workspaces_type !== 'SOME') return [];
    const names = input.allowed_workspaces ?? [];
    if (names.length === 0) {
      throw invalidInput('allowed_workspaces is required when allowed_workspaces_type is SOME.');
    }
    for (const name of names) await resolveWorkspace(this.store, p, name);
    return [...new Set(names)];
  }
}

const sealContext = (orgId: string, alias: string) => `secret:${orgId}/${alias}`;

function allows(s: Secret, workspace: string): boolean {
  if (s.allowed_workspaces_type === 'ALL') return true;
  if (s.allowed_workspaces_type === 'NONE') return false;
  return (JSON.parse(s.allowed_workspaces) as string[]).includes(workspace);
}

function checkAlias(alias: string | undefined): string {
  if (alias === undefined) throw invalidInput('alias is required.');
  if (!ALIAS.test(alias)) {
    throw invalidInput('alias must be 1 to 128 letters, digits, dots, dashes or underscores.');
  }
  return alias;
}

function checkValue(value: string): string {
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) {
    throw invalidInput(`value must be at most ${MAX_SECRET_BYTES} bytes.`);
  }
  return value;
}

function toInfo(s: Secret, org: string): SecretInfo {
  return {
    alias: s.alias,
    description: s.description,
    allowed_workspaces_type: s.allowed_workspaces_type,
    allowed_workspaces: JSON.parse(s.allowed_workspaces) as string[],
    org,
    created_at: s.created_at,
    created_by: s.created_by,
    updated_at: s.updated_at,
    last_updated_by: s.last_updated_by,
  };
}
