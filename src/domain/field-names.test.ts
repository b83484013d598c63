import { describe, expect, it } from 'vitest';
import { sanitiseFieldName } from './field-names.js';

describe('sanitiseFieldName', () => {
  it.each([
    ['due date', 'due_date'],
    ["driver's license", 'driver_s_license'],
    ['3rd category', '_3rd_category'],
    ['secret_id', 'secret__id'],
    ['total', 'total'],
    ['', '_'],
  ])('%j → %j (the reference examples)', (input, expected) => {
    expect(sanitiseFieldName(input)).toBe(expected);
  });
});
