import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS as MIGRATIONS } from '../../src/store/migrations/index.js';
import { describeEachBackend, freshTarget } from '../helpers/backends.js';
import { cliProcesses, storeEnv, until, type CliResult } from './process-helpers.js';

/** Exit 0 and nothing on stderr; fails with everything the command printed otherwise. */
function ok(r: CliResult): string {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

const json = <T>(r: CliResult): T => JSON.parse(ok(r)) as T;
const STACK_FRAME = /^\s+at /m;

describeEachBackend('runbox migrate and runbox admin token', (backend) => {
  const cli = cliProcesses();

  // On Postgres a process that only migrated currently exits ~10 s late (the store's close()
  // leaves the pool to its idle timeout when Kysely never ran a query), hence the timeout.
  it(
    'migrate applies the migrations of an empty store, then finds it up to date',
    { timeout: 60_000 },
    async () => {
      const env = storeEnv(freshTarget(backend));
      // Both backends number their migrations alike.
      const ids = MIGRATIONS.map((m) => m.id).join(', ');
      expect(ok(await cli.run(['migrate'], env))).toBe(`Applied migrations: ${ids}\n`);
      expect(ok(await cli.run(['migrate'], env))).toBe('The database is up to date.\n');
    },
  );

  it('token create/list/revoke act on a running server over HTTP', async () => {
    const env = storeEnv(freshTarget(backend));
    const server = await cli.serve(env);
    const admin = (...args: string[]) => cli.run(['admin', ...args], env);
    const status = async (token: string) => (await server.api('/api/v2/batches', { token })).status;

    // The first start created org `runbox`; people are added to it from the command line.
    ok(await admin('user', 'create', 'carol', '--org', 'runbox'));
    const before = Date.now();
    const [plain, expiring, shortLived] = await Promise.all([
      admin('token', 'create', 'carol', '--name', 'laptop'),
      admin('token', 'create', 'carol', '--name', 'ci', '--expires-in', '2h', '--json'),
      admin('token', 'create', 'carol', '--expires-in', '2s', '--json'),
    ]);
    const after = Date.now();

    const text = ok(plain);
    const plainToken = /(?:^|\s)token=(\S+)/.exec(text)?.[1];
    const plainId = /(?:^|\s)id=(\S+)/.exec(text)?.[1];
    expect(plainToken, text).toBeDefined();
    expect(text).not.toContain('expiresAt');
    const ci = json<{ id: string; token: string; userId: string; expiresAt: number }>(expiring);
    expect(ci.userId).toBe('carol');
    expect(ci.expiresAt).toBeGreaterThanOrEqual(before + 2 * 3600_000);
    expect(ci.expiresAt).toBeLessThanOrEqual(after + 2 * 3600_000);

    expect(await status(plainToken!)).toBe(200);
    expect(await status(ci.token)).toBe(200);
    // A token past its expiry is refused.
    const short = json<{ token: string }>(shortLived);
    await until('the 2 s token to expire', async () =>
      (await status(short.token)) === 401 ? true : undefined,
    );

    const [list, revoke] = await Promise.all([
      admin('token', 'list', 'carol', '--json'),
      admin('token', 'revoke', plainId!, '--json'),
    ]);
    const listed = json<Record<string, unknown>[]>(list);
    expect(listed).toHaveLength(3);
    expect(listed.find((t) => t.id === ci.id)).toMatchObject({
      name: 'ci',
      expires_at: ci.expiresAt,
    });
    // Tokens are shown once: the listing has neither the token nor its hash.
    expect(JSON.stringify(listed)).not.toContain(ci.token);
    expect(JSON.stringify(listed)).not.toMatch(/hash/);

    expect(json(revoke)).toEqual({ revoked: plainId });
    expect(await status(plainToken!)).toBe(401);
    expect(await status(ci.token)).toBe(200);
  });
});

// The admin service is covered on both backends by the service suites; this is its command line.
describe('runbox admin [sqlite]', () => {
  const cli = cliProcesses();

  it('admin creates orgs, users, service accounts, workspaces and memberships', async () => {
    const env = storeEnv(freshTarget('sqlite'));
    const admin = (...args: string[]) => cli.run(['admin', ...args], env);

    expect(ok(await admin('org', 'create', 'acme', '--name', 'Acme Inc'))).toMatch(
      /^id=acme {2}name=Acme Inc {2}created_at=\d+\n$/,
    );
    // Independent commands at once, as several operators (or a script) would run them.
    const [alice, robot, shared, globex] = await Promise.all([
      admin('user', 'create', 'alice', '--org', 'acme', '--admin', '--json'),
      admin('service-account', 'create', 'robot', '--org', 'acme', '--json'),
      admin('workspace', 'create', 'shared', '--org', 'acme', '--json'),
      admin('org', 'create', 'globex', '--json'),
    ]);
    expect(json(alice)).toMatchObject({ id: 'alice', org_id: 'acme', kind: 'user' });
    expect(json(robot)).toMatchObject({ id: 'robot', org_id: 'acme', kind: 'service' });
    expect(json(shared)).toMatchObject({ name: 'shared', org_id: 'acme', owner_user_id: null });
    expect(json(globex)).toMatchObject({ id: 'globex', name: 'globex' });

    expect(json(await admin('member', 'add', 'alice', '--org', 'globex', '--json'))).toEqual({
      org: 'globex',
      user: 'alice',
      role: 'member',
    });

    const [acmeUsers, globexUsers, workspaces, duplicate, orphan] = await Promise.all([
      admin('user', 'list', '--org', 'acme', '--json'),
      admin('user', 'list', '--org', 'globex', '--json'),
      admin('--json', 'workspace', 'list', '--org', 'acme'),
      admin('org', 'create', 'acme'),
      admin('user', 'create', 'mallory', '--org', 'nowhere'),
    ]);
    const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
    expect(ids(json(acmeUsers))).toEqual(['alice', 'robot']);
    expect(ids(json(globexUsers))).toEqual(['alice']);
    // alice has a personal workspace; the service account has none.
    const names = json<{ name: string }[]>(workspaces).map((w) => w.name);
    expect(names.sort()).toEqual(['alice', 'shared']);

    // Refusals from the store are errors (exit 1) with a message, not a stack trace.
    expect(duplicate.stderr).toBe(
      'error: A record with that name or id already exists. (conflict)\n',
    );
    expect(orphan.stderr).toBe('error: Org nowhere not found. (record-not-found)\n');
    for (const r of [duplicate, orphan]) {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
    }
  });
});

describe('runbox usage errors', () => {
  const cli = cliProcesses();
  let parent: string;
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('exit 2 with a message and no stack trace, before touching any store', async () => {
    parent = mkdtempSync(join(tmpdir(), 'runbox-usage-'));
    const dataDir = join(parent, 'store');
    const env = { RUNBOX_DATA_DIR: dataDir };
    const cases: [string[], RegExp][] = [
      [['admin', 'user', 'create', 'bob'], /required option '--org <org>' not specified/],
      [['admin', 'bogus'], /unknown command 'bogus'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['admin', 'org', 'create'], /missing required argument 'id'/],
      [['admin', 'token', 'create', 'bob', '--expires-in', '5x'], /Invalid duration "5x"/],
      [['serve', '--port', 'http'], /argument 'http' is invalid/],
      [['admin', 'org', 'list', '--colour'], /unknown option '--colour'/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli.run(args, env)));
    results.forEach((r, i) => {
      const [args, message] = cases[i]!;
      const what = `runbox ${args.join(' ')}\n${r.stderr}`;
      expect(r.code, what).toBe(2);
      expect(r.stderr, what).toMatch(message);
      expect(r.stderr, what).not.toMatch(STACK_FRAME);
      expect(r.stdout, what).toBe('');
    });
    // Usage errors are found before the store is opened: nothing was created.
    expect(() => readdirSync(dataDir)).toThrow(/ENOENT/);
  });
});
