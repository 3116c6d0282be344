import { maxOf } from '../util/many.js';
/**
 * Rows of cells as aligned text lines: each column as wide as its widest cell, two spaces
 * between columns, no trailing spaces. Pure.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, c) => maxOf(all.map((r) => [...(r[c] ?? '')].length)));
  return all.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell + ' '.repeat(widths[c]! - [...cell].length))).join('  ').trimEnd());
}
