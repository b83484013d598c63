/**
 * `runbox.app.json` (SPEC §7): the schema of an app version's manifest and its validation with
 * errors that name the field.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { invalidInput } from '../contract/errors.js';

export const MANIFEST_FILE = 'runbox.app.json';

export const FIELD_TYPES = ['TEXT', 'NUMBER', 'DATE', 'BOOLEAN', 'CURRENCY'] as const;
export const REVIEW_POLICIES = ['never', 'on_validation_failure', 'always'] as const;
export type ReviewPolicy = (typeof REVIEW_POLICIES)[number];

const literalUnion = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v))));

export const FieldRule = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    type: Type.Optional(literalUnion(FIELD_TYPES)),
    required: Type.Optional(Type.Boolean()),
    pattern: Type.Optional(Type.String({ maxLength: 1000 })),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    min_confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    one_of: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]))),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type FieldRule = Static<typeof FieldRule>;

export const KeySpec = Type.Object(
  {
    type: literalUnion(['string', 'number', 'boolean'] as const),
    default: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const Manifest = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' }),
    version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$' }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    runtime: literalUnion(['node', 'command'] as const),
    entry: Type.String({ minLength: 1, maxLength: 255 }),
    timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 })),
    memory_mb: Type.Optional(Type.Integer({ minimum: 32, maximum: 65536 })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
    keys: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), KeySpec)),
    secrets: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }))),
    fields: Type.Optional(Type.Array(FieldRule)),
    review: Type.Optional(literalUnion(REVIEW_POLICIES)),
  },
  { additionalProperties: false },
);
export type Manifest = Static<typeof Manifest>;

export const MANIFEST_DEFAULTS = { timeout_seconds: 3600, memory_mb: 512, concurrency: 4 };

/** Parses and checks a manifest; the error names the field (`fields[1].pattern`, …). */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalidInput(`${MANIFEST_FILE} is not valid JSON: ${(err as Error).message}`);
  }
  const first = Value.Errors(Manifest, raw).First();
  if (first) {
    const field = first.path
      .replace(/^\//, '')
      .replace(/\/(\d+)/g, '[$1]')
      .replace(/\//g, '.');
    throw invalidInput(`${MANIFEST_FILE}: ${field || 'manifest'} ${first.message.toLowerCase()}.`);
  }
  const m = raw as Manifest;
  const entry = m.entry;
  if (entry.startsWith('/') || entry.includes('\\') || entry.split('/').includes('..')) {
    throw invalidInput(`${MANIFEST_FILE}: entry must be a relative path inside the package.`);
  }
  for (const [i, f] of (m.fields ?? []).entries()) {
    if (f.pattern !== undefined) {
      try {
        new RegExp(f.pattern);
      } catch {
        throw invalidInput(
          `${MANIFEST_FILE}: fields[${i}].pattern is not a valid regular expression.`,
        );
      }
    }
  }
  const names = new Set<string>();
  for (const [i, f] of (m.fields ?? []).entries()) {
    if (names.has(f.name))
      throw invalidInput(`${MANIFEST_FILE}: fields[${i}].name "${f.name}" is repeated.`);
    names.add(f.name);
  }
  return m;
}
