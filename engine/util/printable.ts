/**
 * Text safe for a terminal: every control character but the newline (C0, DEL, C1) and every
 * bidirectional mark, override and isolate shown as U+FFFD, so nothing a worker or a file
 * wrote (an escape sequence in a goal, a key, a forged event type; a right-to-left override
 * that makes `evil.txt` read as `txt.live`) can drive the reader's terminal or reorder what
 * they read. Pure.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd');
}

/**
 * JSON text with the characters a terminal may act on (C1 controls, bidirectional marks, the
 * line and paragraph separators) written as `\uXXXX` escapes: the same JSON value, nothing
 * for a terminal to obey (JSON.stringify escapes C0 only). Pure.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A control character (C0, DEL, C1) or a line or paragraph separator: what no path of a change may hold. */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
