/**
 * Shared by the validation tests (validation-*.test.ts): the alerts they expect and the fields
 * they validate.
 */
import type { StoredField } from './documents.js';
import type { FieldRule } from './manifest.js';
import { validateField, type AlertType, type FieldAlert } from './validation.js';

export const failure = (type: AlertType, msg: string): FieldAlert => ({
  alert_level: 'FAILURE',
  msg,
  blocked: true,
  type,
});

/** Validates `value` (confidence 0.9 unless given) against a rule for a field named `f`. */
export const check = (
  value: string,
  rule: Omit<FieldRule, 'name'>,
  confidence: number | null = 0.9,
) => validateField({ value, confidence }, { name: 'f', ...rule });

export const passes = { valid: true, alerts: [] };
export const fails = (...alerts: FieldAlert[]) => ({ valid: false, alerts });

export const storedField = (name: string, value: string, extra: Partial<StoredField> = {}) => ({
  name,
  value,
  type: 'TEXT',
  confidence: 0.9,
  source: [],
  ...extra,
});
