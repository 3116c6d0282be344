/**
 * Text safe for a terminal: every control character but the newline (C0, DEL, C1) shown as
 * U+FFFD, so nothing a worker or a file wrote (an escape sequence in a goal, a key, a forged
 * event type) can drive the reader's terminal. Pure.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
}
