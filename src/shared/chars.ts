// Words checked character by character, for the code every lease event runs: the jitless hook
// compiles a regular expression on its first use, every event, about 0.05 M instructions each
// (callgrind; a dozen on a RENEW's path). test/unit/chars.test.ts holds each use to the regular
// expression it replaced, on generated words.

/** A character code test. */
export type CharClass = (c: number) => boolean;

export const isDigit: CharClass = (c) => c >= 48 && c <= 57;
export const isUpper: CharClass = (c) => c >= 65 && c <= 90;
export const isLetter: CharClass = (c) => isUpper(c) || (c >= 97 && c <= 122);
export const isHexDigit: CharClass = (c) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** Whether `text` is `min` to `max` characters, its first of `first`, the others of `rest`. */
export function spelled(text: string, min: number, max: number, first: CharClass, rest: CharClass): boolean {
  if (text.length < min || text.length > max) return false;
  for (let i = 0; i < text.length; i++) if (!(i === 0 ? first : rest)(text.charCodeAt(i))) return false;
  return true;
}

/** Whether `text` is 1 to `max` decimal digits (`/^[0-9]{1,max}$/`). */
export const isDigits = (text: string, max: number): boolean => spelled(text, 1, max, isDigit, isDigit);

/** `text` without `suffix` when it ends with it, else `text` (a regular expression's `replace(/suffix$/, '')`). */
export const withoutSuffix = (text: string, suffix: string): string =>
  text.endsWith(suffix) ? text.slice(0, text.length - suffix.length) : text;

/** `text` as a number if it is 0 to `max` written without a leading zero (`0|[1-9][0-9]*`), else null. */
export function decimalUpTo(text: string, max: number): number | null {
  if (!isDigits(text, String(max).length) || (text.length > 1 && text.charCodeAt(0) === 48)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

/** `text` as a number if it is `0x` and 1 to `digits` hex digits, else null. */
export const hexValue = (text: string, digits: number): number | null =>
  text.startsWith('0x') && spelled(text.slice(2), 1, digits, isHexDigit, isHexDigit) ? Number(text) : null;
