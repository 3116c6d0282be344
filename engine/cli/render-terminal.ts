/**
 * Markdown as the engine writes it (summary.md, memo.md) rendered for a terminal: headings
 * and **bold** without their markup (bold in colour when allowed), `code` without backticks,
 * pipe tables as aligned columns, fenced blocks indented. Piped output stays Markdown; this
 * is only for a TTY. Pure.
 */
import { maxOf, pushAll } from '../util/many.js';
import { unescapeMarkdownText } from '../util/markdown-text.js';
export function markdownForTerminal(markdown: string, color: boolean): string {
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
  // An escaped character (markdownText: worker text) is text, never the start of a code span.
  const inline = (s: string) =>
    s
      .split(/(\\[\\<[\]])/)
      .map((part, i) => (i % 2 ? unescapeMarkdownText(part) : part.replace(/\*\*([^*]+)\*\*/g, (_, t: string) => bold(t)).replace(/`([^`]+)`/g, '$1')))
      .join('');
  const out: string[] = [];
  const lines = markdown.split('\n');
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      out.push(`    ${line}`);
      continue;
    }
    if (isTableRow(line)) {
      const rows: string[][] = [];
      for (; i < lines.length && isTableRow(lines[i]!); i++) rows.push(cells(lines[i]!));
      i--;
      pushAll(out, alignTable(rows.filter((r) => !r.every((c) => /^:?-{3,}:?$/.test(c))).map((r) => r.map(inline)), bold));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const text = inline(heading[2]!);
      out.push(bold(text));
      if (heading[1]!.length <= 2) out.push('─'.repeat(visibleLength(text)));
      continue;
    }
    out.push(inline(line));
  }
  return out.join('\n');
}

function isTableRow(line: string): boolean {
  return /^\s*\|.*\|\s*$/.test(line);
}

function cells(line: string): string[] {
  return line
    .trim()
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Columns padded to their widest cell; numbers right-aligned; the header row in bold. */
function alignTable(rows: string[][], bold: (s: string) => string): string[] {
  const width = maxOf(rows.map((r) => r.length), 0);
  const widths = Array.from({ length: width }, (_, c) => maxOf(rows.map((r) => visibleLength(r[c] ?? ''))));
  const numeric = (s: string) => /^[-+]?[\d.,]+\s*(%|s|ms)?$/.test(s);
  return rows.map((r, i) => {
    const line = widths
      .map((w, c) => {
        const cell = r[c] ?? '';
        const pad = ' '.repeat(Math.max(0, w - visibleLength(cell)));
        return i > 0 && numeric(cell) ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
    return i === 0 ? bold(line) : line;
  });
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}
