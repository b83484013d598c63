/** Parsers for option values: a bad value is a usage error (exit 2) with a clear message. */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from './duration.js';

/** An integer from `min` (and up to `max`). */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `Use a whole number of at least ${min}.`
          : `Use a whole number from ${min} to ${max}.`,
      );
    }
    return n;
  };
}

/** A repeatable option: every value, in order. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A repeatable `name=value` option, into an object (the last of a repeated name wins). */
export function pairOption(what = 'name=value') {
  return (text: string, previous: Record<string, string> = {}): Record<string, string> => {
    const at = text.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`Use ${what}.`);
    return { ...previous, [text.slice(0, at)]: text.slice(at + 1) };
  };
}

/** `90m`, `12h`, `7d` → milliseconds. */
export function durationOption(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** One of a fixed set of words. */
export function choiceOption<T extends string>(choices: readonly T[]) {
  return (text: string): T => {
    if (!(choices as readonly string[]).includes(text)) {
      throw new InvalidArgumentError(`Use one of: ${choices.join(', ')}.`);
    }
    return text as T;
  };
}
