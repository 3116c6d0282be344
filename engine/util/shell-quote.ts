/** A string as one word of a POSIX shell: in single quotes, each `'` written `'\''`. Pure. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * A string as one word of a POSIX shell, quoted only when it needs to be: a command the engine
 * prints for the user to paste (a path with a space, a `$`, a backtick or a quote stays one
 * word and runs nothing). Pure.
 */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : shellQuote(s);
}
