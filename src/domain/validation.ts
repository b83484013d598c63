/**
 * Field validation: checks each extracted value against the manifest's field rules
 * (`runbox.app.json` `fields`, see `manifest.ts`) and marks the documents with the alerts.
 * Pure: no I/O, the input documents are not changed.
 *
 * Every failed check gives one alert `{ alert_level: 'FAILURE', msg, blocked: true, type }`;
 * a field may collect several and is valid when it has none. The checks, in alert order:
 *
 * - `error`: a value of `ERROR` with an `error_msg` fails with "The field could not be
 *   extracted: <error_msg>" and no other check is made. (Without `error_msg`, `ERROR` is an
 *   ordinary value.)
 * - `required`: an empty or whitespace-only value fails when the rule is required. An empty
 *   value that is not required passes every other check (there is nothing to check).
 * - `type` (on the trimmed value):
 *   - NUMBER: a finite number with an optional sign, `,` thousands separators in groups of
 *     three, a decimal point and an exponent (`1,234.50`, `-3`, `2e3`; not `12abc`, `1,23`).
 *   - CURRENCY: a NUMBER once a leading and/or a trailing currency symbol (Unicode `Sc`:
 *     `$`, `€`, `£`, …) or uppercase 3-letter ISO code and the spaces next to it are removed
 *     (`$1,234.50`, `EUR 99`, `99.00 €`, `-$5`, `$100 USD`).
 *   - DATE: `YYYY-MM-DD` (optionally with a time `THH:MM[:SS[.fff]]` or ` HH:MM…` and a zone
 *     `Z`/`±HH:MM`), `DD/MM/YYYY` or `MM/DD/YYYY` (either reading may make it valid),
 *     `DD.MM.YYYY`, `Month D, YYYY` or `D Month YYYY` (English month names or their 3-letter
 *     abbreviations, any case, optional `.` after the abbreviation and optional comma). Day and
 *     month may have one digit outside the ISO form. It must be a real calendar date
 *     (`2026-02-30` fails, `2024-02-29` passes).
 *   - BOOLEAN: true, false, yes, no, 1 or 0, any case.
 *   - TEXT, or no type: anything.
 * - `pattern`: the raw value must match the JavaScript regular expression as written (no flags,
 *   not implicitly anchored). A pattern that does not compile fails with its own alert.
 * - `min` / `max` (inclusive): NUMBER and CURRENCY compare the numeric value, TEXT the length
 *   in characters (code points) of the raw value. Without a type, the numeric value when the
 *   value parses as a NUMBER, the length otherwise. Skipped for DATE and BOOLEAN, and when a
 *   NUMBER or CURRENCY value does not parse (the type alert already says so).
 * - `min_confidence`: fails when the confidence is null or below the threshold; not checked
 *   on a field a reviewer edited (it has `edit_history`).
 * - `one_of`: the raw value must equal one of the listed strings, or its numeric value (parsed
 *   as the rule's type when CURRENCY, as NUMBER otherwise) must equal a listed number.
 *
 * Only the rule's type matters; the stored field's `type` is not used, and a rule type outside
 * FIELD_TYPES (which a checked manifest cannot have) counts as no type. Fields the app returned
 * without a rule are checked for `error` only.
 */
import type { SourceBox, StoredDocument, StoredField } from './documents.js';
import { FIELD_TYPES, type FieldRule } from './manifest.js';

/** The checks a field can fail; each names the rule (or the extraction error) that failed. */
export type AlertType =
  'required' | 'type' | 'pattern' | 'min' | 'max' | 'min_confidence' | 'one_of' | 'error';

/** One failed check on a field. */
export interface FieldAlert {
  alert_level: 'FAILURE';
  msg: string;
  blocked: true;
  type: AlertType;
}

/** The outcome of checking one field: valid when there are no alerts. */
export interface FieldValidation {
  valid: boolean;
  alerts: FieldAlert[];
}

/** A stored field with its validation outcome. */
export type ValidatedField = StoredField & { validations: FieldValidation };

/** A stored document whose fields are validated, with the document's overall outcome. */
export type ValidatedDocument = Omit<StoredDocument, 'fields'> & {
  fields: ValidatedField[];
  validations: { final_result_pass: boolean };
};

type FieldInput = Pick<StoredField, 'value' | 'confidence' | 'error_msg' | 'edit_history'>;
type FieldType = (typeof FIELD_TYPES)[number];

const ERROR_VALUE = 'ERROR';

const alert = (type: AlertType, msg: string): FieldAlert => ({
  alert_level: 'FAILURE',
  msg,
  blocked: true,
  type,
});

// ---------------------------------------------------------------------------------------------
// Numbers and currency amounts

const NUMBER_PATTERN = /^[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const LEADING_CURRENCY = /^([+-]?)(?:\p{Sc}|[A-Z]{3})\s*/u;
const TRAILING_CURRENCY = /\s*(?:\p{Sc}|[A-Z]{3})$/u;

/** Removes one leading and one trailing currency symbol or ISO code, keeping a leading sign. */
function stripCurrency(text: string): string {
  let rest = text;
  const leading = LEADING_CURRENCY.exec(rest);
  if (leading) rest = (leading[1] ?? '') + rest.slice(leading[0].length);
  const trailing = TRAILING_CURRENCY.exec(rest);
  if (trailing) rest = rest.slice(0, rest.length - trailing[0].length);
  return rest;
}

/**
 * The numeric value of a NUMBER or CURRENCY field value (see the header for the accepted
 * forms), or `undefined` when it is not one. Surrounding whitespace is ignored.
 */
export function parseNumber(value: string, type: 'NUMBER' | 'CURRENCY'): number | undefined {
  const trimmed = value.trim();
  const text = type === 'CURRENCY' ? stripCurrency(trimmed) : trimmed;
  if (!NUMBER_PATTERN.test(text)) return undefined;
  const number = Number(text.replace(/,/g, ''));
  return Number.isFinite(number) ? number : undefined;
}

// ---------------------------------------------------------------------------------------------
// Dates

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/;
const SLASH_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const DOTTED_DATE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
const MONTH_DAY_YEAR = /^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$/;
const DAY_MONTH_YEAR = /^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})$/;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** 1–12 for an English month name or its 3-letter abbreviation, any case. */
function monthNumber(name: string | undefined): number {
  const lower = (name ?? '').toLowerCase();
  return MONTH_NAMES.findIndex((m) => m === lower || m.slice(0, 3) === lower) + 1;
}

/** Hours 0–23 and minutes/seconds 0–59; absent parts are fine. */
function isClockTime(hours?: string, minutes?: string, seconds?: string): boolean {
  const within = (part: string | undefined, max: number) =>
    part === undefined || Number(part) <= max;
  return within(hours, 23) && within(minutes, 59) && within(seconds, 59);
}

function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const [, year, month, day, hours, minutes, seconds, zoneHours, zoneMinutes] = m;
  return (
    isCalendarDate(Number(year), Number(month), Number(day)) &&
    isClockTime(hours, minutes, seconds) &&
    isClockTime(zoneHours, zoneMinutes)
  );
}

/** `DD/MM/YYYY` or `MM/DD/YYYY`: valid when either reading is a real date. */
function isSlashDate(text: string): boolean {
  const m = SLASH_DATE.exec(text);
  if (!m) return false;
  const [first, second, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return isCalendarDate(year, second, first) || isCalendarDate(year, first, second);
}

function isDottedDate(text: string): boolean {
  const m = DOTTED_DATE.exec(text);
  return m !== null && isCalendarDate(Number(m[3]), Number(m[2]), Number(m[1]));
}

function isMonthNameDate(text: string): boolean {
  const mdy = MONTH_DAY_YEAR.exec(text);
  if (mdy) return isCalendarDate(Number(mdy[3]), monthNumber(mdy[1]), Number(mdy[2]));
  const dmy = DAY_MONTH_YEAR.exec(text);
  if (dmy) return isCalendarDate(Number(dmy[3]), monthNumber(dmy[2]), Number(dmy[1]));
  return false;
}

function isDate(text: string): boolean {
  return isIsoDate(text) || isSlashDate(text) || isDottedDate(text) || isMonthNameDate(text);
}

// ---------------------------------------------------------------------------------------------
// Booleans and types

const BOOLEAN_PATTERN = /^(?:true|false|yes|no|1|0)$/i;

const TYPE_CHECKS: Record<FieldType, { accepts: (text: string) => boolean; noun: string }> = {
  TEXT: { accepts: () => true, noun: 'text' },
  NUMBER: { accepts: (text) => parseNumber(text, 'NUMBER') !== undefined, noun: 'a number' },
  CURRENCY: {
    accepts: (text) => parseNumber(text, 'CURRENCY') !== undefined,
    noun: 'a currency amount',
  },
  DATE: { accepts: isDate, noun: 'a valid date' },
  BOOLEAN: { accepts: (text) => BOOLEAN_PATTERN.test(text), noun: 'a boolean' },
};

// ---------------------------------------------------------------------------------------------
// The checks on a non-empty value

interface CheckInput {
  /** The value as extracted. */
  value: string;
  /** The value without surrounding whitespace. */
  text: string;
  confidence: number | null;
  rule: FieldRule;
  /** The rule's type when it is one of FIELD_TYPES. */
  type: FieldType | undefined;
}

const isFieldType = (type: string | undefined): type is FieldType =>
  (FIELD_TYPES as readonly (string | undefined)[]).includes(type);

type Check = (input: CheckInput) => FieldAlert | undefined;

const checkType: Check = ({ text, rule, type }) => {
  if (type === undefined) return undefined;
  const { accepts, noun } = TYPE_CHECKS[type];
  return accepts(text) ? undefined : alert('type', `${rule.name} must be ${noun}.`);
};

const checkPattern: Check = ({ value, rule }) => {
  if (rule.pattern === undefined) return undefined;
  let regex: RegExp;
  try {
    regex = new RegExp(rule.pattern);
  } catch {
    return alert('pattern', `${rule.name} has an invalid pattern /${rule.pattern}/.`);
  }
  return regex.test(value)
    ? undefined
    : alert('pattern', `${rule.name} must match the pattern /${rule.pattern}/.`);
};

type Measure = { kind: 'number' | 'length'; size: number };

/** What `min` and `max` compare for this value, or `undefined` when they do not apply. */
function measure({ value, text, type }: CheckInput): Measure | undefined {
  const length = (): Measure => ({ kind: 'length', size: [...value].length });
  const numeric = (as: 'NUMBER' | 'CURRENCY'): Measure | undefined => {
    const size = parseNumber(text, as);
    return size === undefined ? undefined : { kind: 'number', size };
  };
  switch (type) {
    case 'NUMBER':
    case 'CURRENCY':
      return numeric(type);
    case 'TEXT':
      return length();
    case undefined:
      return numeric('NUMBER') ?? length();
    default:
      return undefined;
  }
}

function boundMessage(rule: FieldRule, word: 'least' | 'most', bound: number, kind: string) {
  const unit = kind === 'length' ? ' characters long' : '';
  return `${rule.name} must be at ${word} ${bound}${unit}.`;
}

const checkMin: Check = (input) => {
  const { min } = input.rule;
  const measured = min === undefined ? undefined : measure(input);
  if (min === undefined || measured === undefined || measured.size >= min) return undefined;
  return alert('min', boundMessage(input.rule, 'least', min, measured.kind));
};

const checkMax: Check = (input) => {
  const { max } = input.rule;
  const measured = max === undefined ? undefined : measure(input);
  if (max === undefined || measured === undefined || measured.size <= max) return undefined;
  return alert('max', boundMessage(input.rule, 'most', max, measured.kind));
};

const checkMinConfidence: Check = ({ confidence, rule }) => {
  const threshold = rule.min_confidence;
  if (threshold === undefined || (confidence !== null && confidence >= threshold)) {
    return undefined;
  }
  const actual = confidence === null ? 'unknown' : String(confidence);
  return alert(
    'min_confidence',
    `${rule.name} confidence must be at least ${threshold} (it is ${actual}).`,
  );
};

const checkOneOf: Check = ({ value, text, rule, type }) => {
  const options = rule.one_of;
  if (options === undefined) return undefined;
  const number = parseNumber(text, type === 'CURRENCY' ? 'CURRENCY' : 'NUMBER');
  const matches = (option: string | number) =>
    typeof option === 'string' ? option === value : option === number;
  if (options.some(matches)) return undefined;
  const listed = options.map((o) => (typeof o === 'string' ? JSON.stringify(o) : String(o)));
  return alert('one_of', `${rule.name} must be one of ${listed.join(', ')}.`);
};

const CHECKS: readonly Check[] = [
  checkType,
  checkPattern,
  checkMin,
  checkMax,
  checkMinConfidence,
  checkOneOf,
];

// ---------------------------------------------------------------------------------------------
// Fields and documents

function outcome(alerts: FieldAlert[]): FieldValidation {
  return { valid: alerts.length === 0, alerts };
}

/**
 * Checks one field value against its rule (see the header for the checks). With no rule only
 * an `ERROR` value (with `error_msg`) fails.
 */
export function validateField(field: FieldInput, rule: FieldRule | undefined): FieldValidation {
  if (field.value === ERROR_VALUE && field.error_msg !== undefined) {
    return outcome([alert('error', `The field could not be extracted: ${field.error_msg}`)]);
  }
  if (rule === undefined) return outcome([]);
  const text = field.value.trim();
  if (text === '') {
    return outcome(rule.required ? [alert('required', `${rule.name} is required.`)] : []);
  }
  const type = isFieldType(rule.type) ? rule.type : undefined;
  const input: CheckInput = { value: field.value, text, confidence: field.confidence, rule, type };
  // A value a person entered or confirmed is not held to the model's confidence threshold.
  const edited = (field.edit_history?.length ?? 0) > 0;
  const checks = edited ? CHECKS.filter((c) => c !== checkMinConfidence) : CHECKS;
  const alerts = checks.map((check) => check(input)).filter((a) => a !== undefined);
  return outcome(alerts);
}

const copySource = (source: SourceBox[]): SourceBox[] => source.map((box) => ({ ...box }));

/** The field a required rule stands for when the app did not return it. */
function missingField(rule: FieldRule): StoredField {
  return { name: rule.name, value: '', type: rule.type ?? 'TEXT', confidence: null, source: [] };
}

/**
 * Returns a copy of the document in which every field has its `validations`; the fields that
 * required rules name but the app did not return are added at the end (value `''`, type from
 * the rule or TEXT, confidence null, no source), so they fail `required`. The document's
 * `validations.final_result_pass` is true when every field is valid.
 */
export function validateDocument(
  doc: StoredDocument,
  rules: readonly FieldRule[],
): ValidatedDocument {
  const byName = new Map(rules.map((rule) => [rule.name, rule]));
  const returned = new Set(doc.fields.map((field) => field.name));
  const missing = rules.filter((rule) => rule.required && !returned.has(rule.name));
  const fields: ValidatedField[] = [...doc.fields, ...missing.map(missingField)].map((field) => ({
    ...field,
    source: copySource(field.source),
    validations: validateField(field, byName.get(field.name)),
  }));
  return {
    ...doc,
    page_numbers: [...doc.page_numbers],
    fields,
    validations: { final_result_pass: fields.every((field) => field.validations.valid) },
  };
}

/** {@link validateDocument} for each document. */
export function validateDocuments(
  docs: StoredDocument[],
  rules: readonly FieldRule[],
): ValidatedDocument[] {
  return docs.map((doc) => validateDocument(doc, rules));
}
