import type { Command } from 'commander';
import { Runbox } from '../../client/src/index.js';
import { UsageError } from './exit-codes.js';
import {
  configPath,
  DEFAULT_PROFILE,
  readConfig,
  resolveTarget,
  writeConfig,
  type Profile,
} from './profiles.js';
import { Output, session, withCommonOptions, type CommonOptions } from './session.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** `runbox login`, `logout` and `profiles`: the config file of API roots and tokens. */
export function registerLogin(program: Command): void {
  withCommonOptions(
    program
      .command('login')
      .description(
        'Save an API root and token as a profile (default: "default") in the config file.',
      )
      .option('--no-verify', 'save without checking the token against the server')
      .option('--default', 'make this profile the default (the first profile saved always is)'),
  ).action(async (o: CommonOptions & { verify: boolean; default?: boolean }) => {
    const out = new Output(Boolean(o.json));
    if (!o.apiRoot) throw new UsageError('Pass --api-root URL (e.g. http://127.0.0.1:8080/api).');
    if (!o.token) throw new UsageError('Pass --token T (or --token - to read it from stdin).');
    const token = o.token === '-' ? await readStdin() : o.token;
    if (!token) throw new UsageError('The token read from stdin is empty.');
    const name = o.profile ?? (process.env.RUNBOX_PROFILE || DEFAULT_PROFILE);
    const profile: Profile = {
      api_root: o.apiRoot,
      token,
      ...(o.context ? { context: o.context } : {}),
    };
    if (o.verify) {
      // Any authenticated read will do: a wrong token or URL fails here, not on first use.
      const client = new Runbox({ apiRoot: o.apiRoot, token, context: o.context });
      await client.batches.list({ limit: 1 });
    }
    const file = configPath();
    const config = readConfig(file);
    config.profiles[name] = profile;
    const isDefault =
      o.default === true ||
      config.default_profile === undefined ||
      !config.profiles[config.default_profile] ||
      config.default_profile === name;
    if (isDefault) config.default_profile = name;
    writeConfig(file, config);
    const shown = {
      profile: name,
      api_root: profile.api_root,
      context: profile.context ?? null,
      default: isDefault,
      config_file: file,
    };
    if (out.jsonMode) return out.json(shown);
    out.print(
      `Logged in to ${profile.api_root} as profile "${name}"${isDefault ? ' (the default)' : ''}; saved to ${file}.`,
    );
  });

  program
    .command('logout')
    .description('Remove a profile (default: the default profile) from the config file.')
    .option('--profile <name>', 'the profile to remove')
    .option('--json', 'print what was removed as JSON')
    .action((o: { profile?: string; json?: boolean }) => {
      const file = configPath();
      const config = readConfig(file);
      const name = o.profile ?? config.default_profile;
      if (name === undefined || !config.profiles[name]) {
        throw new UsageError(
          name === undefined ? 'No default profile to remove.' : `No profile "${name}" in ${file}.`,
        );
      }
      delete config.profiles[name];
      if (config.default_profile === name) delete config.default_profile;
      writeConfig(file, config);
      const out = new Output(Boolean(o.json));
      if (out.jsonMode) return out.json({ removed: name, config_file: file });
      out.print(`Removed profile "${name}" from ${file}.`);
    });

  withCommonOptions(
    program
      .command('profiles')
      .description('List the saved profiles (never their tokens) and what the CLI would use now.'),
  ).action((_o: CommonOptions, cmd: Command) => {
    const s = session(cmd);
    const file = configPath();
    const config = readConfig(file);
    const names = Object.keys(config.profiles).sort();
    let active: { api_root: string; context: string | null; profile: string | null } | undefined;
    try {
      const t = resolveTarget(s.options);
      active = { api_root: t.apiRoot, context: t.context ?? null, profile: t.profile ?? null };
    } catch (err) {
      if (!(err instanceof UsageError) || s.options.profile) throw err;
    }
    if (s.json) {
      return s.out.json({
        config_file: file,
        default_profile: config.default_profile ?? null,
        profiles: names.map((n) => ({
          name: n,
          api_root: config.profiles[n]!.api_root,
          context: config.profiles[n]!.context ?? null,
        })),
        active: active ?? null,
      });
    }
    if (names.length === 0) s.out.print(`No profiles in ${file}.`);
    else
      s.out.table(
        ['', 'PROFILE', 'API ROOT', 'CONTEXT'],
        names.map((n) => [
          n === config.default_profile ? '*' : '',
          n,
          config.profiles[n]!.api_root,
          config.profiles[n]!.context ?? '',
        ]),
      );
    if (active) {
      s.out.print(
        `Using ${active.api_root}${active.profile ? ` (profile "${active.profile}")` : ''}${active.context ? `, context ${active.context}` : ''}.`,
      );
    }
  });
}
