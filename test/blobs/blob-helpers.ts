/** Byte sources, readers and bad keys shared by the blob suites. */
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import type { ByteSource } from '../../src/blobs/blobs.js';
import { RunboxError, type ErrorType } from '../../src/contract/errors.js';

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

export function bytes(...chunks: string[]): Readable {
  return Readable.from(chunks.map((c) => Buffer.from(c)));
}

/** A source that yields `chunks`, then fails the way a dropped client connection does. */
export function failingAfter(...chunks: string[]): ByteSource {
  return (async function* () {
    for (const c of chunks) yield Buffer.from(c);
    throw new Error('client went away');
  })();
}

export async function expectRunboxError(p: Promise<unknown>, type: ErrorType): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a ${type} error`).toBeInstanceOf(RunboxError);
  expect((err as RunboxError).type).toBe(type);
}

/** Keys that could escape the storage root or alias another key. */
export const UNSAFE_KEYS = [
  '../escape.txt',
  'a/../../escape.txt',
  'a/..',
  '/etc/passwd',
  'a\\..\\b.txt',
  'a\0b.txt',
  'a//b.txt',
  'a/',
  './a.txt',
  '',
];
