/** Document validation: every field of a document against the app's rules, and lists of them. */
import { describe, expect, it } from 'vitest';
import type { StoredDocument } from './documents.js';
import type { FieldRule } from './manifest.js';
import { failure, fails, passes, storedField } from './validation-fixtures.js';
import { validateDocument, validateDocuments, type ValidatedDocument } from './validation.js';

describe('validateDocument', () => {
  const rules: FieldRule[] = [
    { name: 'total', type: 'CURRENCY', required: true, min: 0 },
    { name: 'invoice_date', type: 'DATE', required: true },
    { name: 'po_number', pattern: '^PO-' },
    { name: 'vendor', required: true, min_confidence: 0.5 },
  ];
  const box = { top_x: 1, top_y: 2, bottom_x: 3, bottom_y: 4, page_number: 1 };

  it('validates every field, adds missing required fields and fails the document', () => {
    const doc: StoredDocument = {
      class_name: 'invoice',
      page_numbers: [1, 2],
      fields: [
        storedField('total', '$1,234.50', { type: 'CURRENCY', source: [box] }),
        storedField('note', 'free text'),
        storedField('vendor', 'ERROR', { confidence: null, error_msg: 'page unreadable' }),
      ],
    };
    expect(validateDocument(doc, rules)).toEqual({
      class_name: 'invoice',
      page_numbers: [1, 2],
      fields: [
        {
          ...storedField('total', '$1,234.50', { type: 'CURRENCY', source: [box] }),
          validations: passes,
        },
        { ...storedField('note', 'free text'), validations: passes },
        {
          ...storedField('vendor', 'ERROR', { confidence: null, error_msg: 'page unreadable' }),
          validations: fails(failure('error', 'The field could not be extracted: page unreadable')),
        },
        {
          name: 'invoice_date',
          value: '',
          type: 'DATE',
          confidence: null,
          source: [],
          validations: fails(failure('required', 'invoice_date is required.')),
        },
      ],
      validations: { final_result_pass: false },
    } satisfies ValidatedDocument);
  });

  it('an added field without a rule type is TEXT', () => {
    const result = validateDocument({ class_name: null, page_numbers: [], fields: [] }, [
      { name: 'vendor', required: true },
    ]);
    expect(result.fields).toEqual([
      {
        name: 'vendor',
        value: '',
        type: 'TEXT',
        confidence: null,
        source: [],
        validations: fails(failure('required', 'vendor is required.')),
      },
    ]);
  });

  it('passes when every field is valid', () => {
    const doc: StoredDocument = {
      class_name: null,
      page_numbers: [1],
      fields: [
        storedField('total', '10.00'),
        storedField('invoice_date', '2026-03-01'),
        storedField('vendor', 'ACME', { confidence: 0.7 }),
      ],
    };
    const result = validateDocument(doc, rules);
    expect(result.validations).toEqual({ final_result_pass: true });
    expect(result.fields.map((f) => f.validations)).toEqual([passes, passes, passes]);
  });

  it('fails when one field is invalid', () => {
    const doc: StoredDocument = {
      class_name: null,
      page_numbers: [1],
      fields: [
        storedField('total', '10.00'),
        storedField('invoice_date', '2026-03-01'),
        storedField('vendor', 'ACME', { confidence: 0.2 }),
      ],
    };
    const result = validateDocument(doc, rules);
    expect(result.validations).toEqual({ final_result_pass: false });
    expect(result.fields[2]?.validations).toEqual(
      fails(failure('min_confidence', 'vendor confidence must be at least 0.5 (it is 0.2).')),
    );
  });

  it('a document without fields and rules passes', () => {
    expect(validateDocument({ class_name: null, page_numbers: [], fields: [] }, [])).toEqual({
      class_name: null,
      page_numbers: [],
      fields: [],
      validations: { final_result_pass: true },
    });
  });

  it('does not mutate the input document', () => {
    const doc: StoredDocument = {
      class_name: 'invoice',
      page_numbers: [1],
      fields: [storedField('total', '-1', { source: [box] }), storedField('po_number', 'X-1')],
    };
    const before = structuredClone(doc);
    const result = validateDocument(doc, rules);
    expect(doc).toEqual(before);
    expect(result.fields).not.toBe(doc.fields);
    expect(result.fields[0]).not.toBe(doc.fields[0]);
    expect(result.fields[0]?.source).not.toBe(doc.fields[0]?.source);
    expect(result.fields[0]?.source[0]).not.toBe(doc.fields[0]?.source[0]);
    expect(result.page_numbers).not.toBe(doc.page_numbers);
    expect(result.fields.map((f) => f.name)).toEqual([
      'total',
      'po_number',
      'invoice_date',
      'vendor',
    ]);
  });
});

describe('validateDocuments', () => {
  it('validates each document on its own', () => {
    const rules: FieldRule[] = [{ name: 'total', type: 'NUMBER', required: true }];
    const docs: StoredDocument[] = [
      { class_name: 'a', page_numbers: [1], fields: [storedField('total', '5')] },
      { class_name: 'b', page_numbers: [2], fields: [] },
    ];
    const results = validateDocuments(docs, rules);
    expect(results.map((d) => [d.class_name, d.validations.final_result_pass])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(results[1]?.fields.map((f) => f.validations)).toEqual([
      fails(failure('required', 'total is required.')),
    ]);
  });

  it('returns an empty list for no documents', () => {
    expect(validateDocuments([], [{ name: 'total', required: true }])).toEqual([]);
  });
});
