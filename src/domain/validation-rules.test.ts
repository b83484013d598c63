/**
 * Field validation, the rules on a value: pattern, min and max, min_confidence (and a reviewer's
 * edit), one_of, and several alerts at once.
 */
import { describe, expect, it } from 'vitest';
import type { StoredDocument } from './documents.js';
import type { FieldRule } from './manifest.js';
import { check, failure, fails, passes, storedField } from './validation-fixtures.js';
import { validateDocument, validateField } from './validation.js';

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
