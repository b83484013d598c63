/**
 * What every API command shares: the common options, the SDK client for the resolved target,
 * and how it prints (human text and tables on stdout, or one JSON document with --json;
 * progress on stderr, only on a terminal).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { Runbox } from '../../client/src/index.js';
import { checkApiRoot, resolveTarget, type Target, type TargetFlags } from './profiles.js';
import {
  colourEnabled,
  keyValues,
  painter,
  ProgressBar,
  Spinner,
  table,
  type Paint,
  type ProgressOptions,
} from './terminal.js';

export interface CommonOptions extends TargetFlags {
  json?: boolean;
  debug?: boolean;
}

function apiRootOption(text: string): string {
  try {
    return checkApiRoot(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Adds --json, --profile, --api-root, --token, --context and --debug to a command (group). */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print the API objects as one JSON document')
    .option('--profile <name>', 'profile from the config file (env RUNBOX_PROFILE)')
    .option('--api-root <url>', 'API root (env RUNBOX_API_ROOT)', apiRootOption)
    .option('--token <token>', 'API token (env RUNBOX_TOKEN)')
    .option('--context <org>', 'org to act in, sent as IB-Context (env RUNBOX_CONTEXT)')
    .option('--debug', 'on errors, show the stack trace and request id');
}

/** Run statuses in colour: green done, red failed, yellow cancelled, cyan running. */
const STATUS_STYLE: Record<string, Parameters<Paint>[0]> = {
  COMPLETE: 'green',
  FAILED: 'red',
  CANCELLED: 'yellow',
  RUNNING: 'cyan',
  PENDING: 'cyan',
  PAUSED: 'yellow',
  STOPPED_AT_CHECKPOINT: 'magenta',
};

export class Output {
  readonly paint: Paint;

  constructor(readonly jsonMode: boolean) {
    this.paint = painter(colourEnabled(process.stdout));
  }

  print(text = ''): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  json(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  table(headers: string[], rows: string[][]): void {
    this.print(table(headers, rows, this.paint));
  }

  keyValues(pairs: [string, string | undefined][]): void {
    this.print(keyValues(pairs, this.paint));
  }

  status(status: string): string {
    return this.paint(STATUS_STYLE[status] ?? 'reset', status);
  }

  /** A hint for someone at a terminal: stderr, and only when it is one. */
  hint(text: string): void {
    if (process.stderr.isTTY) process.stderr.write(`${this.paintErr('dim', text)}\n`);
  }

  private paintErr(style: Parameters<Paint>[0], text: string): string {
    return painter(colourEnabled(process.stderr))(style, text);
  }

  progress(label: string, total: number | undefined, o: ProgressOptions): ProgressBar {
    return new ProgressBar(process.stderr, label, total, o);
  }

  spinner(text: string): Spinner {
    return new Spinner(process.stderr, text);
  }
}

/** The SDK client and output of one command; the target is resolved on first use. */
export class Session {
  readonly out: Output;
  readonly json: boolean;
  private resolved: { target: Target; client: Runbox } | undefined;

  constructor(readonly options: CommonOptions) {
    this.json = Boolean(options.json);
    this.out = new Output(this.json);
  }

  get target(): Target {
    return this.connect().target;
  }

  get client(): Runbox {
    return this.connect().client;
  }

  private connect() {
    if (!this.resolved) {
      const target = resolveTarget(this.options);
      const client = new Runbox({
        apiRoot: target.apiRoot,
        token: target.token,
        context: target.context,
      });
      this.resolved = { target, client };
    }
    return this.resolved;
  }
}

/** The session of the command whose action is running (its options merged with its parents'). */
export function session(cmd: Command): Session {
  return new Session(cmd.optsWithGlobals<CommonOptions>());
}
