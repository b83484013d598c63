/** What a run keeps of how it was asked to run (the `runs.settings` column). */
import type { ReviewPolicy } from './manifest.js';

export interface RunSettingsRecord {
  keys: {
    custom: Record<string, unknown>;
    /** App secret key name → org secret alias (never the value). */
    secret: Record<string, string>;
  };
  runtime_config: Record<string, unknown>;
  review: ReviewPolicy;
}

/** Reads the stored settings; rows written before review and secrets existed get the defaults. */
export function parseRunSettings(json: string): RunSettingsRecord {
  const raw = JSON.parse(json) as Partial<RunSettingsRecord> & {
    keys?: Partial<RunSettingsRecord['keys']>;
  };
  return {
    keys: { custom: raw.keys?.custom ?? {}, secret: raw.keys?.secret ?? {} },
    runtime_config: raw.runtime_config ?? {},
    review: raw.review ?? 'never',
  };
}
