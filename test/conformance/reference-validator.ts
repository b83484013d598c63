/**
 * Checks responses against the official AI Hub OpenAPI description (test/reference), the
 * contract every v2 response must meet (SPEC §4).
 *
 * The reference is OpenAPI 3.0, not plain JSON Schema: `nullable: true` (Ajv understands it),
 * `format: int64|int32|float|double|binary|byte` (registered below) and `$ref`s to
 * `#/components/...`. The whole document is added to Ajv under one id, and each response schema
 * is compiled as a JSON pointer into it, so its `$ref`s resolve as the reference means them.
 *
 * Strict mode (the default) also refuses fields the reference does not name: the reference
 * leaves `additionalProperties` open, so a misspelt field (`created_at` for `created_at_ms`)
 * would otherwise pass. The one documented Runbox extension is the error envelope's `type`
 * (and `request_id` on internal errors), SPEC §6.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const REFERENCE_URL = new URL('../reference/aihub-openapi.yaml', import.meta.url);
const DOC_ID = 'aihub-reference';
/** Fields Runbox adds to the reference's `error` schema. */
const ERROR_EXTENSIONS = { type: { type: 'string' }, request_id: { type: 'string' } };

type Json = Record<string, unknown>;

interface ReferenceOperation {
  method: string;
  path: string;
  responses: Record<string, Json>;
}

export interface CheckOptions {
  /** Refuse fields the reference does not name (default true). */
  strict?: boolean;
}

/** What `app.inject` returns, or any response with these fields. */
export interface ResponseLike {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The body as text; '' when there is none. */
  body: string;
}

const reference = parse(readFileSync(REFERENCE_URL, 'utf8')) as Json & {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
};

const operations = new Map<string, ReferenceOperation>();
for (const [path, item] of Object.entries(reference.paths)) {
  for (const [method, op] of Object.entries(item)) {
    if (typeof op.operationId !== 'string') continue;
    operations.set(op.operationId, {
      method: method.toUpperCase(),
      path,
      responses: (op.responses ?? {}) as Record<string, Json>,
    });
  }
}

/** Every operationId the reference describes. */
export const referenceOperationIds: readonly string[] = [...operations.keys()];

/** Closes every object schema that names its properties; recurses into subschemas. */
function closeObjects(schema: unknown): void {
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Json;
  if (s.properties && typeof s.properties === 'object') {
    if (!('additionalProperties' in s)) s.additionalProperties = false;
    for (const sub of Object.values(s.properties as Json)) closeObjects(sub);
  }
  if (typeof s.additionalProperties === 'object') closeObjects(s.additionalProperties);
  closeObjects(s.items);
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[k])) for (const sub of s[k] as unknown[]) closeObjects(sub);
  }
}

function strictCopy(): Json {
  const doc = structuredClone(reference);
  const errorSchema = doc.components.schemas.error as Json;
  errorSchema.properties = { ...(errorSchema.properties as Json), ...ERROR_EXTENSIONS };
  for (const s of Object.values(doc.components.schemas)) closeObjects(s);
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      for (const res of Object.values((op.responses ?? {}) as Record<string, Json>)) {
        for (const media of Object.values((res.content ?? {}) as Record<string, Json>)) {
          closeObjects(media.schema);
        }
      }
    }
  }
  return doc;
}

// ajv-formats is CommonJS; under NodeNext its callable export is `.default`.
const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv };

/**
 * OpenAPI 3.0 lets `nullable: true` stand beside a `$ref` (the reference does, at
 * `caseInfoField.chosen_field`); JSON Schema ignores siblings of `$ref`, and Ajv refuses them.
 * Rewritten as "the referenced schema, or null", which is what the reference means.
 */
function nullableRefs(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) nullableRefs(n);
    return;
  }
  const s = node as Json;
  for (const v of Object.values(s)) nullableRefs(v);
  if (typeof s.$ref === 'string' && s.nullable === true) {
    const ref = s.$ref;
    for (const k of Object.keys(s)) delete s[k];
    s.anyOf = [{ $ref: ref }, { type: 'null' }];
  }
}

function makeAjv(doc: Json): Ajv {
  nullableRefs(doc);
  // strict: false because the document carries OpenAPI keywords (example, x-fern-…) that are
  // not JSON Schema; validateSchema: false because the document as a whole is not a schema.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats.default(ajv);
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  // Nanosecond timestamps (SPEC §3) are past 2^53: JSON.parse rounds them, still integers.
  ajv.addFormat('int64', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 63,
  });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('binary', () => true);
  ajv.addSchema(doc, DOC_ID);
  return ajv;
}

const validators = {
  strict: { ajv: makeAjv(strictCopy()), cache: new Map<string, ValidateFunction>() },
  lenient: { ajv: makeAjv(reference), cache: new Map<string, ValidateFunction>() },
};

function validatorAt(pointer: string[], strict: boolean): ValidateFunction {
  const v = strict ? validators.strict : validators.lenient;
  const ref = `${DOC_ID}#/${pointer
    .map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1')))
    .join('/')}`;
  let fn = v.cache.get(ref);
  if (!fn) {
    fn = v.ajv.compile({ $ref: ref });
    v.cache.set(ref, fn);
  }
  return fn;
}

function describeErrors(fn: ValidateFunction): string[] {
  return (fn.errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
        : '';
    return `body${e.instancePath} ${e.message ?? 'is not valid'}${extra}`;
  });
}

/** Problems of `value` against `#/components/schemas/<name>`; [] when it conforms. */
export function schemaProblems(name: string, value: unknown, opts: CheckOptions = {}): string[] {
  if (!reference.components.schemas[name]) throw new Error(`no schema "${name}" in the reference`);
  const fn = validatorAt(['components', 'schemas', name], opts.strict ?? true);
  return fn(value) ? [] : describeErrors(fn);
}

function operation(operationId: string): ReferenceOperation {
  const op = operations.get(operationId);
  if (!op) throw new Error(`no operation "${operationId}" in the reference`);
  return op;
}

/** The reference's response for a status: exact, then `2XX`-style, then (errors) `default`. */
function documentedResponse(op: ReferenceOperation, status: number) {
  // `default` stands for errors only: a success status the reference does not list is a finding.
  const keys = [
    String(status),
    `${Math.floor(status / 100)}XX`,
    ...(status >= 400 ? ['default'] : []),
  ];
  for (const key of keys) {
    const r = op.responses[key];
    if (r) return { key, response: r };
  }
  return undefined;
}

/**
 * Problems of a JSON (or absent) body against the reference's response for `status`; [] when
 * it conforms. Error statuses the reference documents without a body, or not at all, are held
 * to its `error` schema: that is how AI Hub clients read every error.
 */
export function referenceProblems(
  operationId: string,
  status: number,
  body: unknown,
  opts: CheckOptions = {},
): string[] {
  const strict = opts.strict ?? true;
  const op = operation(operationId);
  const found = documentedResponse(op, status);
  if (!found && status < 400) return [`${operationId} does not document status ${status}`];
  const content = found?.response.content as Record<string, Json> | undefined;
  const json = content?.['application/json'];
  if (found && json) {
    const fn = validatorAt(
      [
        'paths',
        op.path,
        op.method.toLowerCase(),
        'responses',
        found.key,
        'content',
        'application/json',
        'schema',
      ],
      strict,
    );
    return fn(body) ? [] : describeErrors(fn);
  }
  if (status >= 400) return schemaProblems('error', body, opts);
  if (content) return [`${operationId} ${status} documents no JSON body`];
  return body === undefined ? [] : [`${operationId} ${status} documents no body, got one`];
}

function header(res: ResponseLike, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : String(v);
}

function headerProblems(name: string, value: string, schema: Json | undefined): string[] {
  if (!schema) return [];
  if (schema.type === 'integer' && !/^\d+$/.test(value)) {
    return [`header ${name}: "${value}" is not an integer`];
  }
  // The reference notes that an HTTP-date is fine for last-modified ("Or http-date").
  if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) {
    return [`header ${name}: "${value}" is not a date`];
  }
  return [];
}

/**
 * Every way a whole response can differ from the reference: its status, its media type, its
 * body (JSON validated; binary accepted as bytes; none where none is documented), and the
 * documented headers it sends. [] when it conforms.
 */
export function responseProblems(
  operationId: string,
  res: ResponseLike,
  opts: CheckOptions = {},
): string[] {
  const op = operation(operationId);
  const found = documentedResponse(op, res.statusCode);
  const problems: string[] = [];
  for (const [name, h] of Object.entries((found?.response.headers ?? {}) as Record<string, Json>)) {
    const value = header(res, name);
    if (value !== undefined) problems.push(...headerProblems(name, value, h.schema as Json));
  }
  if (op.method === 'HEAD') return problems; // HEAD responses never carry a body
  const contentType = (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
  const documented = Object.keys(found?.response.content ?? {});
  const isError = res.statusCode >= 400;
  if (!isError && documented.length > 0 && !documented.includes(contentType)) {
    return [
      ...problems,
      `${operationId} ${res.statusCode}: Content-Type "${contentType}" is not one of ${documented.join(', ')}`,
    ];
  }
  if (!isError && contentType === 'application/octet-stream') return problems;
  let body: unknown;
  if (res.body !== '') {
    if (!contentType.endsWith('json')) {
      return [...problems, `${operationId} ${res.statusCode}: body is ${contentType}, not JSON`];
    }
    body = JSON.parse(res.body);
  }
  return [...problems, ...referenceProblems(operationId, res.statusCode, body, opts)];
}

/** Throws, listing every problem, unless the response conforms to the reference. */
export function expectReference(operationId: string, res: ResponseLike, opts: CheckOptions = {}) {
  const problems = responseProblems(operationId, res, opts);
  if (problems.length > 0) {
    throw new Error(
      `${operationId} → ${res.statusCode} does not match the AI Hub reference:\n  ${problems.join('\n  ')}\n  body: ${res.body.slice(0, 500)}`,
    );
  }
}
