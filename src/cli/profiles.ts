/**
 * Where the API is and who calls it. Profiles live in `$XDG_CONFIG_HOME/runbox/config.json`
 * (default `~/.config/runbox/config.json`, mode 0600, folder 0700); flags and `RUNBOX_*`
 * variables override the selected profile; with nothing configured, the local embedded
 * install (`http://127.0.0.1:8080/api` and its first admin token) is used.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './exit-codes.js';

export interface Profile {
  api_root: string;
  token: string;
  context?: string;
}

export interface ConfigFile {
  profiles: Record<string, Profile>;
  default_profile?: string;
}

export const LOCAL_API_ROOT = 'http://127.0.0.1:8080/api';
export const DEFAULT_PROFILE = 'default';

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(resolve(base), 'runbox', 'config.json');
}

/** The config file, or an empty one when there is none. */
export function readConfig(file: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new UsageError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as Partial<ConfigFile>;
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    return { ...parsed, profiles: parsed.profiles ?? {} };
  } catch (err) {
    throw new UsageError(
      `${file} is not valid JSON (${(err as Error).message}); fix or remove it.`,
    );
  }
}

/** Writes the file readable by its owner only: it holds tokens. */
export function writeConfig(file: string, config: ConfigFile): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // Written whole then renamed, so a crash never leaves half a config (or a token in a 0644 file).
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export interface TargetFlags {
  profile?: string | undefined;
  apiRoot?: string | undefined;
  token?: string | undefined;
  context?: string | undefined;
}

export interface Target {
  apiRoot: string;
  token: string;
  context: string | undefined;
  /** The profile used, if any. */
  profile: string | undefined;
}

/** The profile chosen by --profile or RUNBOX_PROFILE (which must exist), else the default. */
export function selectProfile(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv,
  config: ConfigFile,
  file: string,
): { name: string; profile: Profile } | undefined {
  const asked = flags.profile ?? (env.RUNBOX_PROFILE || undefined);
  if (asked !== undefined) {
    const profile = config.profiles[asked];
    if (!profile) {
      const known = Object.keys(config.profiles);
      throw new UsageError(
        `No profile "${asked}" in ${file}${known.length ? ` (profiles: ${known.join(', ')})` : ''}; create it with \`runbox login --profile ${asked} --api-root URL --token T\`.`,
      );
    }
    return { name: asked, profile };
  }
  const name = config.default_profile;
  const profile = name === undefined ? undefined : config.profiles[name];
  return name !== undefined && profile ? { name, profile } : undefined;
}

/** A local embedded install keeps its first admin token here (what `runbox serve` wrote). */
function localAdminToken(env: NodeJS.ProcessEnv): string | undefined {
  const file = join(resolve(env.RUNBOX_DATA_DIR || '.runbox'), 'admin-token');
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Flags, then environment, then the selected profile, then the local install. */
export function resolveTarget(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): Target {
  const file = configPath(env);
  const selected = selectProfile(flags, env, readConfig(file), file);
  const p = selected?.profile;
  const apiRoot = (flags.apiRoot ?? (env.RUNBOX_API_ROOT || p?.api_root) ?? LOCAL_API_ROOT).replace(
    /\/+$/,
    '',
  );
  const token = flags.token ?? (env.RUNBOX_TOKEN || p?.token) ?? localAdminToken(env);
  if (!token) {
    throw new UsageError(
      'No API token: run `runbox login --api-root URL --token T`, pass --token or set RUNBOX_TOKEN.',
    );
  }
  const context = flags.context ?? (env.RUNBOX_CONTEXT || p?.context);
  return { apiRoot, token, context, profile: selected?.name };
}

/** Checks an API root given on the command line: an http(s) URL. */
export function checkApiRoot(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${text}" is not a URL: give the API root, e.g. ${LOCAL_API_ROOT}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`"${text}" is not an http or https URL.`);
  }
  return text.replace(/\/+$/, '');
}
