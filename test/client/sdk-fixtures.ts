/** Shared by the SDK suites: sizes, error assertions, and apps and batches made through the SDK. */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { RunboxError, type Runbox, type RunEvent } from '../../client/src/index.js';
import { packDir } from '../runs/run-helpers.js';
import { discardTestApp, nodeApp } from '../runs/test-apps.js';

export const MiB = 1024 * 1024;
export const PART = 5 * MiB;
/** Over the SDK's 10 MB threshold: three parts of PART (5, 5 and 1 MiB). */
export const BIG = 11 * MiB;
export const text = (b: Uint8Array) => new TextDecoder().decode(b);
export const enc = (s: string) => new TextEncoder().encode(s);

/** The rejection of `p`, which must reject. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

/** The RunboxError `p` rejects with, checked for its status and type. */
export async function runboxError(p: Promise<unknown>, status: number, type: string) {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(RunboxError);
  const e = err as RunboxError;
  expect({ status: e.status, type: e.type }, e.message).toEqual({ status, type });
  expect(e.name).toBe('RunboxError');
  expect(e.message).not.toBe('');
  return e;
}

export const statesOf = (events: RunEvent[]) =>
  events.filter((e) => e.kind === 'status').map((e) => e.data.state);

/** Publishes the test node app (or `dir`) through the SDK; returns its app id. */
export async function publishProbe(runbox: Runbox, dir = nodeApp()): Promise<string> {
  const pkg = await packDir(dir);
  discardTestApp(dir);
  return (await runbox.apps.publish(pkg)).app_id;
}

/** A batch holding `files`, uploaded through the SDK. */
export async function batchOf(runbox: Runbox, files: Record<string, string>): Promise<number> {
  const { id } = await runbox.batches.create({ name: 'input' });
  for (const [name, content] of Object.entries(files)) {
    await runbox.batches.addFile(id, name, enc(content));
  }
  return id;
}

/**
 * A run of the probe app with a gate (a file under `tmp`): files named `gate…` wait until
 * `open()` is called.
 */
export async function gatedRun(
  runbox: Runbox,
  tmp: string,
  files: Record<string, string>,
  appId?: string,
) {
  const app_id = appId ?? (await publishProbe(runbox));
  const gate = join(tmp, `gate-${randomUUID()}`);
  const batch_id = await batchOf(runbox, files);
  const run = await runbox.apps.runs.create({
    app_id,
    batch_id,
    settings: { keys: { custom: { gate } } },
  });
  return { app_id, batch_id, gate, run, open: () => writeFileSync(gate, '') };
}
