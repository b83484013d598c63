/**
 * A fallback check of `getRunResults` responses against the reference, for as long as the
 * shared validator (test/conformance/reference-validator.ts) cannot compile that operation's
 * schema: the reference puts `nullable: true` beside a `$ref`
 * (`caseInfoField.chosen_field`), which Ajv refuses ("nullable" cannot be used without "type").
 * Here that spot is rewritten as `anyOf [$ref, null]`, objects are closed the same way (strict:
 * no field the reference does not name), and the v2 error envelope may add `type` and
 * `request_id` (SPEC §6).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { expectReference, type ResponseLike } from '../conformance/reference-validator.js';

type Json = Record<string, unknown>;
const DOC_ID = 'aihub-reference-results';

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (!node || typeof node !== 'object') return node;
  const o = Object.fromEntries(Object.entries(node as Json).map(([k, v]) => [k, rewrite(v)]));
  if (typeof o.$ref === 'string' && o.nullable === true) {
    return { anyOf: [{ $ref: o.$ref }, { type: 'null' }] };
  }
  if (o.properties && typeof o.properties === 'object' && !('additionalProperties' in o)) {
    o.additionalProperties = false;
  }
  return o;
}

let validators: { results: ValidateFunction; error: ValidateFunction } | undefined;

function compile() {
  const doc = rewrite(
    parse(readFileSync(new URL('../reference/aihub-openapi.yaml', import.meta.url), 'utf8')),
  ) as { components: { schemas: Record<string, Json> } };
  const error = doc.components.schemas.error!;
  error.properties = {
    ...(error.properties as Json),
    type: { type: 'string' },
    request_id: { type: 'string' },
  };
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  (addFormatsModule as unknown as { default: (a: Ajv) => Ajv }).default(ajv);
  const int = (n: number) => Number.isInteger(n);
  ajv.addFormat('int32', { type: 'number', validate: int });
  ajv.addFormat('int64', { type: 'number', validate: int });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('binary', () => true);
  ajv.addSchema(doc, DOC_ID);
  return {
    results: ajv.compile({ $ref: `${DOC_ID}#/components/schemas/resultsResponse` }),
    error: ajv.compile({ $ref: `${DOC_ID}#/components/schemas/error` }),
  };
}

/** Throws unless a getRunResults response conforms to the reference. */
function expectResultsReference(res: ResponseLike): void {
  validators ??= compile();
  const fn = res.statusCode === 200 ? validators.results : validators.error;
  const ct = String(res.headers['content-type'] ?? '');
  const problems = ct.startsWith('application/json') ? [] : [`Content-Type "${ct}" is not JSON`];
  if (problems.length === 0 && !fn(JSON.parse(res.body))) {
    problems.push(...(fn.errors ?? []).map((e) => `body${e.instancePath} ${e.message ?? ''}`));
  }
  if (problems.length > 0) {
    throw new Error(
      `getRunResults → ${res.statusCode} does not match the AI Hub reference:\n  ${problems.join('\n  ')}\n  body: ${res.body.slice(0, 500)}`,
    );
  }
}

/**
 * The shared validator where it can compile the operation's schema; for getRunResults, this
 * file's fallback while it cannot.
 */
export function expectRunsReference(operationId: string, res: ResponseLike): void {
  try {
    expectReference(operationId, res);
  } catch (err) {
    const compileFailure = /cannot be used without|can't resolve reference/i.test(String(err));
    if (operationId !== 'getRunResults' || !compileFailure) throw err;
    expectResultsReference(res);
  }
}
