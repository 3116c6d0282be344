/** How a language writes its comments and strings, for `blankLiterals`. */
export interface Syntax {
  /** What begins a comment to the end of the line. */
  line: '//' | '#';
  /** `/* … *\/` comments. */
  block: boolean;
  /** Quotes that begin a string; a `'` or `"` string ends at its line's end if not before. */
  quotes: string;
  /** Python's `'''` and `"""`, which run across lines. */
  triple: boolean;
}

/**
 * `text` with its comments taken out and the text of its string literals emptied (`""`), in
 * one pass (a lazy pattern tried from every `/*` of a file with no `*\/` took time by the
 * square of its size: a worker's file), so that a pattern counts only code: a test deleted
 * and left as `"test("` in a string is gone. A string that is one word (`'skip'`, a key) is
 * kept as it is. An unclosed comment or backquoted string runs to the end. A line comment's
 * line break is kept, for patterns anchored at a line's start. Pure.
 */
export function blankLiterals(text: string, syntax: Syntax): string {
  const parts: string[] = [];
  let at = 0;
  let from = 0;
  const n = text.length;
  while (at < n) {
    const c = text[at]!;
    if (text.startsWith(syntax.line, at) || (syntax.block && text.startsWith('/*', at))) {
      parts.push(text.slice(from, at));
      const block = text[at + 1] === '*';
      const end = block ? text.indexOf('*/', at + 2) : text.indexOf('\n', at);
      parts.push(' ');
      at = end < 0 ? n : block ? end + 2 : end;
      from = at;
      continue;
    }
    if (!syntax.quotes.includes(c)) {
      at++;
      continue;
    }
    const quote = syntax.triple && text.startsWith(c.repeat(3), at) ? c.repeat(3) : c;
    const end = stringEnd(text, at + quote.length, quote);
    const after = text.startsWith(quote, end) ? end + quote.length : end;
    parts.push(text.slice(from, at), /^[\w$]*$/.test(text.slice(at + quote.length, end)) ? text.slice(at, after) : quote + quote);
    at = after;
    from = at;
  }
  parts.push(text.slice(from));
  return parts.join('');
}

/** Where the string begun before `at` by `quote` closes (a backslash escapes); its line's end for a one-line string, the text's end when it never does. Pure. */
function stringEnd(text: string, at: number, quote: string): number {
  const oneLine = quote === "'" || quote === '"';
  for (let i = at; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') i++;
    else if (oneLine && c === '\n') return i;
    else if (text.startsWith(quote, i)) return i;
  }
  return text.length;
}
