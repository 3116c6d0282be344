import { isUtf8 } from 'node:buffer';

/**
 * A name's bytes as text: each well-formed UTF-8 character as itself, each other byte as
 * `%XX`. A name that is not UTF-8 (a worker's `mkdir $'\xff'`) is listed by node as text with
 * U+FFFD in place of its bytes, which names nothing and tells them apart from no other such
 * name. Pure.
 */
export function shownName(raw: Buffer): string {
  let shown = '';
  for (let i = 0; i < raw.length; ) {
    const len = utf8Length(raw, i);
    shown += len ? raw.subarray(i, i + len).toString('utf8') : `%${raw[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
    i += len || 1;
  }
  return shown;
}

/** Whether a name's bytes are UTF-8 (listed as text, it names itself). Pure. */
export function isUtf8Name(raw: Buffer): boolean {
  return isUtf8(raw);
}

/** The length of the well-formed UTF-8 character at `i`, or 0. Pure. */
function utf8Length(b: Buffer, i: number): number {
  const c = b[i]!;
  const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (len <= 1 || i + len > b.length) return len === 1 ? 1 : 0;
  const piece = b.subarray(i, i + len);
  return Buffer.from(piece.toString('utf8')).equals(piece) ? len : 0;
}
