/**
 * What a thrown value says: an Error's message, anything else as text. Code of others (a
 * worker plugin) may throw `undefined`, a string or an object whose getters throw: reading
 * `.message` of those in a catch was itself a throw, and the engine ended with exit 70. Pure.
 */
export function messageOf(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return String(thrown.message);
    return typeof thrown === 'string' ? thrown : String(thrown);
  } catch {
    return 'a value that cannot be told as text';
  }
}

/** A thrown value's stack, or '' (code of others may throw anything, even a value whose getters throw). Pure. */
export function stackOf(thrown: unknown): string {
  try {
    return thrown instanceof Error && typeof thrown.stack === 'string' ? thrown.stack : '';
  } catch {
    return '';
  }
}
