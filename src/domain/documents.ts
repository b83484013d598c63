/**
 * What an app returns for a file, checked and normalised into the stored form. Apps return
 * `[{ class_name, page_numbers, fields: { "<name>": value | { value, confidence, source, error } } }]`;
 * a malformed return fails the file with a message saying what was wrong.
 */
import type { FieldRule } from './manifest.js';

export interface SourceBox {
  top_x: number;
  top_y: number;
  bottom_x: number;
  bottom_y: number;
  page_number: number;
}

export interface StoredField {
  name: string;
  /** Always a string on the wire (AI Hub); `ERROR` when the field failed. */
  value: string;
  type: string;
  confidence: number | null;
  source: SourceBox[];
  error_msg?: string;
  /** Reviewers' changes, oldest first (the reference's `modificationObject`). */
  edit_history?: EditRecord[];
}

export interface EditRecord {
  /** ISO 8601. */
  timestamp: string;
  user_id: string;
  modifications: { message: string | null }[];
}

export interface StoredDocument {
  class_name: string | null;
  page_numbers: number[];
  fields: StoredField[];
}

export class DocumentShapeError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function inferType(v: unknown, rule: FieldRule | undefined): string {
  if (rule?.type) return rule.type;
  if (typeof v === 'number') return 'NUMBER';
  if (typeof v === 'boolean') return 'BOOLEAN';
  return 'TEXT';
}

function sourceBoxes(v: unknown, where: string): SourceBox[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DocumentShapeError(`${where}.source must be an array of boxes`);
  return v.map((b, i) => {
    if (!isObject(b)) throw new DocumentShapeError(`${where}.source[${i}] must be an object`);
    const n = (k: string) => {
      const x = b[k];
      if (typeof x !== 'number')
        throw new DocumentShapeError(`${where}.source[${i}].${k} must be a number`);
      return x;
    };
    return {
      top_x: n('top_x'),
      top_y: n('top_y'),
      bottom_x: n('bottom_x'),
      bottom_y: n('bottom_y'),
      page_number: n('page_number'),
    };
  });
}

function field(
  name: string,
  raw: unknown,
  rule: FieldRule | undefined,
  where: string,
): StoredField {
  if (isObject(raw) && ('value' in raw || 'error' in raw)) {
    const confidence = raw.confidence ?? null;
    if (
      confidence !== null &&
      (typeof confidence !== 'number' || confidence < 0 || confidence > 1)
    ) {
      throw new DocumentShapeError(`${where}.confidence must be a number from 0 to 1`);
    }
    const base = {
      name,
      type: inferType(raw.value, rule),
      confidence,
      source: sourceBoxes(raw.source, where),
    };
    if (typeof raw.error === 'string' && raw.error !== '') {
      return { ...base, value: 'ERROR', error_msg: raw.error };
    }
    return { ...base, value: toText(raw.value) };
  }
  return { name, value: toText(raw), type: inferType(raw, rule), confidence: null, source: [] };
}

export function normaliseDocuments(
  raw: unknown,
  rules: readonly FieldRule[] = [],
): StoredDocument[] {
  if (!Array.isArray(raw))
    throw new DocumentShapeError('the app must return an array of documents');
  const byName = new Map(rules.map((r) => [r.name, r]));
  return raw.map((doc, d) => {
    const where = `documents[${d}]`;
    if (!isObject(doc)) throw new DocumentShapeError(`${where} must be an object`);
    const cls = doc.class_name ?? null;
    if (cls !== null && typeof cls !== 'string') {
      throw new DocumentShapeError(`${where}.class_name must be a string`);
    }
    const pages = doc.page_numbers ?? [];
    if (!Array.isArray(pages) || !pages.every((p) => Number.isInteger(p))) {
      throw new DocumentShapeError(`${where}.page_numbers must be an array of integers`);
    }
    const fields = doc.fields ?? {};
    if (!isObject(fields)) throw new DocumentShapeError(`${where}.fields must be an object`);
    return {
      class_name: cls,
      page_numbers: pages as number[],
      fields: Object.entries(fields).map(([name, v]) =>
        field(name, v, byName.get(name), `${where}.fields[${JSON.stringify(name)}]`),
      ),
    };
  });
}

/** The documents shown for a file whose processing failed: every declared field is ERROR. */
export function failedDocuments(error: string, rules: readonly FieldRule[] = []): StoredDocument[] {
  return [
    {
      class_name: null,
      page_numbers: [],
      fields: rules.map((r) => ({
        name: r.name,
        value: 'ERROR',
        type: r.type ?? 'TEXT',
        confidence: null,
        source: [],
        error_msg: error,
      })),
    },
  ];
}
