import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clientSetup,
  describe as show,
  failed,
  json,
  ok,
  runWithStdin,
  STACK_FRAME,
} from './client-helpers.js';
import { cliProcesses, freePort } from './process-helpers.js';

describe('runbox login and profiles', () => {
  const cli = cliProcesses();

  it('login writes a 0600 config; --profile, RUNBOX_PROFILE and the RUNBOX_* variables pick and override', async () => {
    const { env, token, apiRoot, configHome, target } = await clientSetup(cli);
    const file = join(configHome, 'runbox', 'config.json');
    // Profiles alone: no fallback to the install's admin token, no RUNBOX_API_ROOT.
    const clean: Record<string, string> = {
      ...env,
      RUNBOX_DATA_DIR: join(target.dataDir, 'elsewhere'),
    };
    delete clean.RUNBOX_API_ROOT;
    const run = (args: string[], extra: Record<string, string> = {}) =>
      cli.run(args, { ...clean, ...extra });

    // A wrong token is refused by the server and nothing is saved.
    failed(
      await run(['login', '--api-root', apiRoot, '--token', 'rbx_wrong']),
      3,
      /^error: The API token is not valid\. \(token-not-valid\)$/m,
    );
    expect(() => statSync(file)).toThrow(/ENOENT/);

    expect(ok(await run(['login', '--api-root', apiRoot, '--token', token]))).toBe(
      `Logged in to ${apiRoot} as profile "default" (the default); saved to ${file}.\n`,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(configHome, 'runbox')).mode & 0o777).toBe(0o700);
    // A second profile, read from stdin, pointing at a server that is not there.
    const dead = `http://127.0.0.1:${await freePort()}/api`;
    const staging = await runWithStdin(
      [
        'login',
        '--profile',
        'staging',
        '--api-root',
        dead,
        '--token',
        '-',
        '--no-verify',
        '--json',
      ],
      clean,
      `${token}\n`,
    );
    expect(json(staging)).toEqual({
      profile: 'staging',
      api_root: dead,
      context: null,
      default: false,
      config_file: file,
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      profiles: {
        default: { api_root: apiRoot, token },
        staging: { api_root: dead, token },
      },
      default_profile: 'default',
    });

    // The default profile is used; `profiles` never shows a token.
    expect(json<{ apps: unknown[] }>(await run(['apps', 'list', '--json'])).apps).toHaveLength(2);
    const listed = ok(await run(['profiles']));
    expect(listed).toMatch(/^\*\s+default\s+http:\/\/127\.0\.0\.1:\d+\/api\s*$/m);
    expect(listed).toMatch(/^\s+staging\s+http:\/\/127\.0\.0\.1:\d+\/api\s*$/m);
    expect(listed).not.toContain(token);

    // --profile and RUNBOX_PROFILE pick the dead one: a network error, exit 3, with a hint.
    const viaFlag = await run(['apps', 'list', '--profile', 'staging']);
    failed(
      viaFlag,
      3,
      /^error: Could not reach http:\/\/127\.0\.0\.1:\d+\/api: .*\(network-error\)$/m,
    );
    expect(viaFlag.stderr).toMatch(/Is the server running/);
    failed(await run(['batches', 'list'], { RUNBOX_PROFILE: 'staging' }), 3, /\(network-error\)/);
    // The variables override the selected profile's API root and token.
    expect(
      json(
        await run(['batches', 'list', '--json'], {
          RUNBOX_PROFILE: 'staging',
          RUNBOX_API_ROOT: apiRoot,
        }),
      ),
    ).toEqual({ batches: [] });
    failed(await run(['batches', 'list'], { RUNBOX_TOKEN: 'rbx_nope' }), 3, /\(token-not-valid\)/);
    // An unknown profile is a usage error naming the ones there are.
    failed(
      await run(['runs', 'list', '--profile', 'prod']),
      2,
      /^error: No profile "prod" in .*config\.json \(profiles: default, staging\)/m,
    );

    expect(ok(await run(['logout', '--profile', 'staging']))).toBe(
      `Removed profile "staging" from ${file}.\n`,
    );
    const left = JSON.parse(readFileSync(file, 'utf8')) as { profiles: object };
    expect(Object.keys(left.profiles)).toEqual(['default']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('with nothing configured it uses the local install and its admin token file', async () => {
    const { run, target } = await clientSetup(cli);
    // RUNBOX_API_ROOT is set by the setup; the token comes from <data dir>/admin-token.
    const created = json<{ id: number }>(await run('batches', 'create', 'local', '--json'));
    expect(created.id).toBeGreaterThan(0);
    // Without the token file and without a profile: a usage error saying what to do.
    const none = await cli.run(['batches', 'list'], {
      XDG_CONFIG_HOME: join(target.dataDir, 'empty-config'),
      RUNBOX_DATA_DIR: join(target.dataDir, 'nowhere'),
    });
    failed(none, 2, /^error: No API token: run `runbox login/m);
  });
});

describe('runbox usage errors of the API commands', () => {
  const cli = cliProcesses();
  let home: string;
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('exit 2 with a clear message and no stack trace, before calling any server', async () => {
    home = mkdtempSync(join(tmpdir(), 'runbox-usage-'));
    // Nothing listens here: a command that got as far as the network would exit 3.
    const env = {
      XDG_CONFIG_HOME: home,
      RUNBOX_API_ROOT: `http://127.0.0.1:${await freePort()}/api`,
      RUNBOX_TOKEN: 'rbx_test',
    };
    const cases: [string[], RegExp][] = [
      [['run', 'invoice-extractor'], /Give the input: FILES…, --batch ID or --dir PATH/],
      [['run', 'invoice-extractor', join(home, 'missing.pdf')], /No such file: .*missing\.pdf/],
      [
        ['run', 'invoice-extractor', '--batch', 'one'],
        /option '--batch <id>' argument 'one' is invalid/,
      ],
      [['run', 'invoice-extractor', '--batch', '1', '--key', 'currency'], /Use name=value/],
      [['runs', 'list', '--status', 'DONE'], /Use one of: CANCELLED, COMPLETE/],
      [['runs', 'list', '--since', 'yesterday'], /Invalid duration "yesterday"/],
      [['runs', 'delete'], /missing required argument 'run-id'/],
      [['batches', 'files', 'abc'], /value 'abc' is invalid for argument 'batch-id'/],
      [['review', 'fix', 'r1', '0'], /Give --set field=value/],
      [['deployments', 'create', 'd'], /required option '--app <app>' not specified/],
      [['deployments', 'update', 'd', '--events', 'run.done'], /Use a comma-separated list of/],
      [['login', '--api-root', 'localhost:8080', '--token', 't'], /is not an http or https URL/],
      [['apps', 'list', '--colour'], /unknown option '--colour'/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli.run(args, env)));
    results.forEach((r, i) => {
      const [args, message] = cases[i]!;
      const what = `runbox ${args.join(' ')}\n${show(r)}`;
      expect(r.code, what).toBe(2);
      expect(r.stderr, what).toMatch(/^error: /m);
      expect(r.stderr, what).toMatch(message);
      expect(r.stderr, what).not.toMatch(STACK_FRAME);
      expect(r.stdout, what).toBe('');
    });
  });
});
