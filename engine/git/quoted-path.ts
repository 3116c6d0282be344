/** What git's C-style escapes stand for (core.quotePath). */
const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/**
 * A path as git prints it without -z, as its bytes: a name git quotes (one with a control
 * character, a quote, a backslash or, with core.quotePath, any byte past ASCII) comes in
 * double quotes with C-style escapes and each such byte as \ooo; any other as it is. The
 * bytes tell a name that is not UTF-8 (which -z output, read as text, would not). Pure.
 */
export function unquoteGitPath(line: string): Buffer {
  if (!(line.length >= 2 && line.startsWith('"') && line.endsWith('"'))) return Buffer.from(line);
  const out: number[] = [];
  const body = line.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out.push(...Buffer.from(c));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/^[0-7]{3}$/.test(body.slice(i + 1, i + 4))) {
      out.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else if (next in ESCAPES) {
      out.push(ESCAPES[next]!);
      i += 1;
    } else out.push(92);
  }
  return Buffer.from(out);
}
