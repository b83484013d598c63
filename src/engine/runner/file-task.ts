/** One input file handed to an app's code, and how that ended. */
export interface FileTask {
  id: string;
  /** Whose file it is (the org): waiting files are served in turns between orgs. */
  fairKey: string;
  file: { name: string; path: string; size: number };
  keys: Record<string, unknown>;
  secrets: Record<string, string>;
  /** A folder for the app's output files; the runtime creates it (lazily for node apps). */
  outputDir: string;
  /** Epoch ms after which the file is aborted as timed out. */
  deadline: number;
  /** Aborted when the run is cancelled. */
  signal?: AbortSignal | undefined;
  /** Asked when the file would start: false leaves it unstarted (the worker is shutting down). */
  mayStart?: () => boolean;
  onLog(line: string): void;
  onProgress?(fraction: number): void;
}

export type FailureReason = 'error' | 'crash' | 'out-of-memory' | 'timeout' | 'cancelled';

export type FileOutcome = (
  { ok: true; documents: unknown } | { ok: false; reason: FailureReason; error: string }
) & {
  /** Set when the runtime knows the app never made its output folder (nothing to clean up). */
  outputUnused?: true;
  /** The file was never started (`mayStart` said no): it has no outcome, and is run later. */
  notStarted?: true;
};

/** The outcome of a file left unstarted because its worker is shutting down. */
export const NOT_STARTED: FileOutcome = {
  ok: false,
  reason: 'cancelled',
  error: 'Not started: the worker is shutting down.',
  outputUnused: true,
  notStarted: true,
};

/** The outcome of a file whose input is gone (deleted while the run waited). */
export const MISSING_INPUT: FileOutcome = {
  ok: false,
  reason: 'error',
  error: 'The input file is no longer stored.',
};

/** Runs files of one app version; the node pool and the command runner implement it. */
export interface AppRuntime {
  run(task: FileTask): Promise<FileOutcome>;
  close(): Promise<void>;
}

/** The environment app code gets: nothing of the server's own (no database URL, no cloud keys). */
export function appEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME', 'TMPDIR'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return { ...env, ...extra };
}
