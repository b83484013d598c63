/** Field validation, values and types: parsing numbers, ERROR values, required fields, types. */
import { describe, expect, it } from 'vitest';
import type { FieldRule } from './manifest.js';
import { check, failure, fails, passes } from './validation-fixtures.js';
import { parseNumber, validateField } from './validation.js';

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
