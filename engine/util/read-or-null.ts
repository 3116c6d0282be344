import { readFileSync } from 'node:fs';

/** A file's text (UTF-8), or null when it cannot be read (missing, a directory, not allowed). Impure. */
export function readTextOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** A file's JSON, or null when it cannot be read or is not JSON. Impure. */
export function readJsonOrNull(file: string): unknown {
  const text = readTextOrNull(file);
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
