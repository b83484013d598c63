/**
 * A Postgres server of the test's own, for tests that stop, kill and restart the database:
 * `initdb` into a temporary directory (trust authentication, a free port on loopback, its unix
 * socket in that directory), run as the `postgres` OS user through `runuser` when the tests run
 * as root. The shared server the other suites use is never touched.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../cli/process-helpers.js';

const exec = promisify(execFile);

/** The newest installed server's programs (`/usr/lib/postgresql/<version>/bin`), if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

export class PrivatePostgres {
  private running = false;

  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  /** `postgres://…` of the server's `postgres` database. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** A new, empty, running server. */
  static async create(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('No Postgres server programs under /usr/lib/postgresql');
    const dir = mkdtempSync(join(tmpdir(), 'runbox-pg-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'socket'));
    const pg = new PrivatePostgres(bin, dir, await freePort());
    if (userInfo().uid === 0) {
      const { stdout } = await exec('id', ['-u', 'postgres']);
      const { stdout: gid } = await exec('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
      chownSync(join(dir, 'socket'), Number(stdout.trim()), Number(gid.trim()));
    }
    await pg.asPostgres('initdb', [
      '-D',
      pg.dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '--no-instructions',
    ]);
    await pg.start();
    return pg;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private async asPostgres(program: string, args: string[]): Promise<string> {
    const path = join(this.bin, program);
    const [cmd, argv] =
      userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    try {
      const { stdout } = await exec(cmd, argv, { timeout: 60_000 });
      return stdout;
    } catch (err) {
      const log = await readFile(join(this.dir, 'server.log'), 'utf8').catch(() => '');
      throw new Error(`${program} failed: ${(err as Error).message}\n${log.slice(-2000)}`, {
        cause: err,
      });
    }
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${join(this.dir, 'socket')}`,
      '-c listen_addresses=127.0.0.1',
      // A test server: a crash of the server process (not of the machine) loses nothing.
      '-c fsync=off',
      '-c max_connections=200',
    ].join(' ');
    await this.asPostgres('pg_ctl', [
      '-D',
      this.dataDir,
      '-o',
      options,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
    this.running = true;
  }

  /** `fast`: clients are disconnected cleanly; `immediate`: the server stops as if it crashed. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running) return;
    await this.asPostgres('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  async restart(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.stop(mode);
    await this.start();
  }

  /** Stops the server and removes its files. */
  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
