import { describe, expect, it } from 'vitest';
import type { StoredDocument, StoredField } from './documents.js';
import type { FieldRule } from './manifest.js';
import {
  parseNumber,
  validateDocument,
  validateDocuments,
  validateField,
  type AlertType,
  type FieldAlert,
  type ValidatedDocument,
} from './validation.js';

const failure = (type: AlertType, msg: string): FieldAlert => ({
  alert_level: 'FAILURE',
  msg,
  blocked: true,
  type,
});

/** Validates `value` (confidence 0.9 unless given) against a rule for a field named `f`. */
const check = (value: string, rule: Omit<FieldRule, 'name'>, confidence: number | null = 0.9) =>
  validateField({ value, confidence }, { name: 'f', ...rule });

const passes = { valid: true, alerts: [] };
const fails = (...alerts: FieldAlert[]) => ({ valid: false, alerts });

const storedField = (name: string, value: string, extra: Partial<StoredField> = {}) => ({
  name,
  value,
  type: 'TEXT',
  confidence: 0.9,
  source: [],
  ...extra,
});

describe('parseNumber', () => {
  it.each([
    ['1,234.50', 1234.5],
    ['-3', -3],
    ['+4.5', 4.5],
    ['2e3', 2000],
    ['1.5E-2', 0.015],
    ['1,000,000', 1_000_000],
    ['.5', 0.5],
    ['7.', 7],
    ['0', 0],
    [' 42 ', 42],
  ])('NUMBER %j → %d', (value, expected) => {
    expect(parseNumber(value, 'NUMBER')).toBe(expected);
  });

  it.each(['12abc', '1,23', '1,2345', '1 000', '1.2.3', '--1', '', ' ', '.', ',', 'e3', '1e999'])(
    'NUMBER %j → undefined',
    (value) => {
      expect(parseNumber(value, 'NUMBER')).toBeUndefined();
    },
  );

  it.each([
    ['$1,234.50', 1234.5],
    ['EUR 99', 99],
    ['99.00 €', 99],
    ['£10', 10],
    ['¥ 1,000', 1000],
    ['USD1,000', 1000],
    ['100 CHF', 100],
    ['$100 USD', 100],
    ['-$5', -5],
    ['$-5', -5],
    ['1,234.50', 1234.5],
  ])('CURRENCY %j → %d', (value, expected) => {
    expect(parseNumber(value, 'CURRENCY')).toBe(expected);
  });

  it.each(['12abc', 'EUR', '$', 'eur 99', '$$5', '-$-5', 'EURO 5', '$1,23'])(
    'CURRENCY %j → undefined',
    (value) => {
      expect(parseNumber(value, 'CURRENCY')).toBeUndefined();
    },
  );

  it('NUMBER does not strip currency symbols', () => {
    expect(parseNumber('$5', 'NUMBER')).toBeUndefined();
  });
});

describe('validateField: error', () => {
  it('an ERROR value with error_msg fails with the message and no other check is made', () => {
    const rule: FieldRule = { name: 'total', type: 'NUMBER', required: true, min_confidence: 1 };
    expect(
      validateField(
        { value: 'ERROR', confidence: null, error_msg: 'timeout reading page 2' },
        rule,
      ),
    ).toEqual(fails(failure('error', 'The field could not be extracted: timeout reading page 2')));
  });

  it('an ERROR value fails even without a rule', () => {
    expect(
      validateField({ value: 'ERROR', confidence: null, error_msg: 'model crashed' }, undefined),
    ).toEqual(fails(failure('error', 'The field could not be extracted: model crashed')));
  });

  it('without error_msg, ERROR is an ordinary value', () => {
    expect(check('ERROR', { type: 'TEXT' })).toEqual(passes);
    expect(check('ERROR', { type: 'NUMBER' })).toEqual(
      fails(failure('type', 'f must be a number.')),
    );
  });

  it('a field without a rule and without an error passes whatever its value', () => {
    expect(validateField({ value: '', confidence: null }, undefined)).toEqual(passes);
    expect(validateField({ value: 'anything', confidence: 0 }, undefined)).toEqual(passes);
  });
});

describe('validateField: required', () => {
  it.each(['', '   ', '\t\n'])('a required %j fails', (value) => {
    expect(check(value, { required: true })).toEqual(fails(failure('required', 'f is required.')));
  });

  it('a required value that is present passes', () => {
    expect(check('x', { required: true })).toEqual(passes);
  });

  it('an empty value that is not required passes every other check', () => {
    const rule: Omit<FieldRule, 'name'> = {
      type: 'NUMBER',
      pattern: '^\\d+$',
      min: 5,
      min_confidence: 0.9,
      one_of: [1, 2],
    };
    expect(check('', rule, null)).toEqual(passes);
    expect(check('  ', { ...rule, required: false }, null)).toEqual(passes);
  });
});

describe('validateField: type', () => {
  it.each(['1,234.50', '-3', '2e3', ' 42 ', '0.5'])('NUMBER %j passes', (value) => {
    expect(check(value, { type: 'NUMBER' })).toEqual(passes);
  });

  it.each(['12abc', '$5', '1,23', 'five'])('NUMBER %j fails', (value) => {
    expect(check(value, { type: 'NUMBER' })).toEqual(fails(failure('type', 'f must be a number.')));
  });

  it.each(['$1,234.50', 'EUR 99', '99.00 €', '-$5', '12'])('CURRENCY %j passes', (value) => {
    expect(check(value, { type: 'CURRENCY' })).toEqual(passes);
  });

  it.each(['EUR', 'twelve dollars', '$1.2.3'])('CURRENCY %j fails', (value) => {
    expect(check(value, { type: 'CURRENCY' })).toEqual(
      fails(failure('type', 'f must be a currency amount.')),
    );
  });

  it.each([
    '2026-01-31',
    '2024-02-29',
    '2000-02-29',
    '2026-03-01T12:30',
    '2026-03-01T12:30:45.123Z',
    '2026-03-01 08:00:00+02:00',
    '2026-03-01T23:59:59-0530',
    '31/12/2026',
    '12/31/2026',
    '1/2/2026',
    '31.12.2026',
    '1.2.2026',
    'January 5, 2026',
    'Jan 5, 2026',
    'jan. 5 2026',
    'SEPTEMBER 30, 2026',
    '5 March 2026',
    '29 Feb 2024',
  ])('DATE %j passes', (value) => {
    expect(check(value, { type: 'DATE' })).toEqual(passes);
  });

  it.each([
    '2026-02-30',
    '2026-04-31',
    '2026-06-31',
    '2026-09-31',
    '2026-11-31',
    '2025-02-29',
    '1900-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-1-5',
    '2026-01-01T25:00',
    '2026-01-01T12:60',
    '2026/01/05',
    '05-01-2026',
    '31/31/2026',
    '00/12/2026',
    '32.01.2026',
    '31.04.2026',
    'Feb 30, 2026',
    'Sept 5, 2026',
    'Febtober 5, 2026',
    '5 March 26',
    'tomorrow',
  ])('DATE %j fails', (value) => {
    expect(check(value, { type: 'DATE' })).toEqual(
      fails(failure('type', 'f must be a valid date.')),
    );
  });

  it.each(['true', 'FALSE', 'Yes', 'no', '1', '0', ' true '])('BOOLEAN %j passes', (value) => {
    expect(check(value, { type: 'BOOLEAN' })).toEqual(passes);
  });

  it.each(['y', '2', 'maybe', 'truee', 'on'])('BOOLEAN %j fails', (value) => {
    expect(check(value, { type: 'BOOLEAN' })).toEqual(
      fails(failure('type', 'f must be a boolean.')),
    );
  });

  it.each(['anything', '12abc', '2026-02-30'])('TEXT %j passes', (value) => {
    expect(check(value, { type: 'TEXT' })).toEqual(passes);
  });
});

describe('validateField: pattern', () => {
  it('a value matching the pattern passes', () => {
    expect(check('INV-12', { pattern: '^INV-\\d+$' })).toEqual(passes);
  });

  it('a value not matching the pattern fails', () => {
    expect(check('INV-x', { pattern: '^INV-\\d+$' })).toEqual(
      fails(failure('pattern', 'f must match the pattern /^INV-\\d+$/.')),
    );
  });

  it('the pattern is not implicitly anchored', () => {
    expect(check('abc1def', { pattern: '\\d' })).toEqual(passes);
  });

  it('the pattern is tested on the value as extracted, not trimmed', () => {
    expect(check(' INV-1', { pattern: '^INV' })).toEqual(
      fails(failure('pattern', 'f must match the pattern /^INV/.')),
    );
  });

  it('a pattern that does not compile fails with its own alert', () => {
    expect(check('x', { pattern: '(' })).toEqual(
      fails(failure('pattern', 'f has an invalid pattern /(/.')),
    );
  });
});

describe('validateField: min and max', () => {
  it.each([
    ['NUMBER', '10', { min: 10, max: 20 }],
    ['NUMBER', '20', { min: 10, max: 20 }],
    ['NUMBER', '1,500', { min: 1000 }],
    ['CURRENCY', '$50.00', { min: 50, max: 50 }],
    ['TEXT', 'abc', { min: 3, max: 3 }],
    ['TEXT', 'é😀x', { max: 3 }],
    [undefined, '15', { min: 10, max: 20 }],
    [undefined, 'abcd', { min: 4 }],
  ] as const)('%s %j within %j passes', (type, value, bounds) => {
    expect(check(value, { type, ...bounds })).toEqual(passes);
  });

  it.each([
    ['NUMBER', '5', { min: 10 }, failure('min', 'f must be at least 10.')],
    ['NUMBER', '1,500', { max: 1000 }, failure('max', 'f must be at most 1000.')],
    ['NUMBER', '-0.5', { min: 0 }, failure('min', 'f must be at least 0.')],
    ['CURRENCY', '$49.99', { min: 50 }, failure('min', 'f must be at least 50.')],
    ['CURRENCY', 'EUR 1,000', { max: 999 }, failure('max', 'f must be at most 999.')],
    ['TEXT', 'ab', { min: 3 }, failure('min', 'f must be at least 3 characters long.')],
    ['TEXT', '12345', { max: 3 }, failure('max', 'f must be at most 3 characters long.')],
    [undefined, '25', { max: 20 }, failure('max', 'f must be at most 20.')],
    [undefined, 'abc', { min: 5 }, failure('min', 'f must be at least 5 characters long.')],
  ] as const)('%s %j outside %j fails', (type, value, bounds, expected) => {
    expect(check(value, { type, ...bounds })).toEqual(fails(expected));
  });

  it('is skipped when a NUMBER value does not parse (the type alert says so)', () => {
    expect(check('abc', { type: 'NUMBER', min: 5, max: 10 })).toEqual(
      fails(failure('type', 'f must be a number.')),
    );
  });

  it('does not apply to DATE and BOOLEAN', () => {
    expect(check('2026-01-01', { type: 'DATE', min: 1, max: 2 })).toEqual(passes);
    expect(check('1', { type: 'BOOLEAN', min: 5 })).toEqual(passes);
  });
});

describe('validateField: min_confidence', () => {
  it.each([0.8, 0.95, 1])('confidence %d passes a 0.8 threshold', (confidence) => {
    expect(check('x', { min_confidence: 0.8 }, confidence)).toEqual(passes);
  });

  it('a confidence below the threshold fails', () => {
    expect(check('x', { min_confidence: 0.8 }, 0.5)).toEqual(
      fails(failure('min_confidence', 'f confidence must be at least 0.8 (it is 0.5).')),
    );
  });

  it('a null confidence fails', () => {
    expect(check('x', { min_confidence: 0.8 }, null)).toEqual(
      fails(failure('min_confidence', 'f confidence must be at least 0.8 (it is unknown).')),
    );
  });

  it('a null confidence passes when there is no threshold', () => {
    expect(check('x', {}, null)).toEqual(passes);
  });

  it('a field a reviewer edited is not held to the threshold; its other rules still apply', () => {
    const rule: FieldRule = { name: 'f', type: 'NUMBER', max: 10, min_confidence: 0.8 };
    const edit_history = [
      {
        timestamp: '2026-04-01T09:30:00.000Z',
        user_id: 'bob',
        modifications: [{ message: 'Changed f from "5" to "7".' }],
      },
    ];
    const edited = (value: string, confidence: number | null) =>
      validateField({ value, confidence, edit_history }, rule);
    expect(edited('7', 0.1)).toEqual(passes);
    expect(edited('7', null)).toEqual(passes);
    expect(edited('70', 0.1)).toEqual(fails(failure('max', 'f must be at most 10.')));
    expect(edited('seven', 0.1)).toEqual(fails(failure('type', 'f must be a number.')));
    // An empty history is no edit: the threshold applies as before.
    expect(validateField({ value: '7', confidence: 0.1, edit_history: [] }, rule)).toEqual(
      fails(failure('min_confidence', 'f confidence must be at least 0.8 (it is 0.1).')),
    );
    // Through validateDocument too: the edited field passes, its unedited twin does not.
    const doc: StoredDocument = {
      class_name: null,
      page_numbers: [1],
      fields: [
        storedField('f', '7', { confidence: 0.1, edit_history }),
        storedField('g', '7', { confidence: 0.1 }),
      ],
    };
    const validated = validateDocument(doc, [rule, { ...rule, name: 'g' }]);
    expect(validated.fields.map((x) => x.validations.valid)).toEqual([true, false]);
    expect(validated.validations.final_result_pass).toBe(false);
  });
});

describe('validateField: one_of', () => {
  it.each([
    [undefined, 'EUR', ['EUR', 'USD']],
    ['NUMBER', '2.0', [1, 2, 3]],
    ['NUMBER', '1,000', [1000]],
    ['CURRENCY', '$100', [100]],
    [undefined, '0.00', ['N/A', 0]],
    [undefined, 'N/A', ['N/A', 0]],
  ] as const)('%s %j in %j passes', (type, value, options) => {
    expect(check(value, { type, one_of: [...options] })).toEqual(passes);
  });

  it('strings are compared exactly', () => {
    expect(check('eur', { one_of: ['EUR', 'USD'] })).toEqual(
      fails(failure('one_of', 'f must be one of "EUR", "USD".')),
    );
  });

  it('a listed string is not compared numerically', () => {
    expect(check('1.0', { one_of: ['1'] })).toEqual(
      fails(failure('one_of', 'f must be one of "1".')),
    );
  });

  it('a value numerically different from every listed number fails', () => {
    expect(check('4', { type: 'NUMBER', one_of: [1, 2, 3] })).toEqual(
      fails(failure('one_of', 'f must be one of 1, 2, 3.')),
    );
  });
});

describe('validateField: several alerts', () => {
  it('collects every failed check in order', () => {
    const rule: FieldRule = {
      name: 'total',
      type: 'NUMBER',
      pattern: '^\\d+$',
      min: 10,
      min_confidence: 0.9,
      one_of: [10, 20],
    };
    expect(validateField({ value: '-5', confidence: 0.5 }, rule)).toEqual(
      fails(
        failure('pattern', 'total must match the pattern /^\\d+$/.'),
        failure('min', 'total must be at least 10.'),
        failure('min_confidence', 'total confidence must be at least 0.9 (it is 0.5).'),
        failure('one_of', 'total must be one of 10, 20.'),
      ),
    );
  });

  it('a value of the wrong type also fails the pattern but not min or max', () => {
    const rule: FieldRule = { name: 'qty', type: 'NUMBER', pattern: '^\\d+$', min: 1, max: 9 };
    expect(validateField({ value: 'abc', confidence: 1 }, rule)).toEqual(
      fails(
        failure('type', 'qty must be a number.'),
        failure('pattern', 'qty must match the pattern /^\\d+$/.'),
      ),
    );
  });
});

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
