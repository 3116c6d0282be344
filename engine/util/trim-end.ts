/**
 * Trimming without a regular expression. A pattern such as `/\s*$/`, `/\n+$/` or
 * `/(.*?)[ \t]*$/` is tried from every position of a run of blanks that does not reach the end,
 * so its cost grows with the square of that run: a worker's answer, or a request a worker sends
 * the engine's scripted model, holding a hundred thousand spaces before one more character kept
 * the engine busy for minutes (nothing else of it ran meanwhile). These walk the text once.
 */

/** `text` without the characters of `chars` at its end. Pure. */
export function trimEndOf(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1]!)) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** `text` without the characters of `chars` at its start and end. Pure. */
export function trimOf(text: string, chars: string): string {
  let start = 0;
  while (start < text.length && chars.includes(text[start]!)) start++;
  return trimEndOf(text.slice(start), chars);
}

/** Spaces, tabs, carriage returns and the other blanks `\s` names on a line (no line feed). */
export const LINE_BLANKS = ' \t\r\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\ufeff';
