import t from 'tap';
import { markdownCode, markdownText, unescapeMarkdownText } from '../../engine/util/markdown-text.js';
import { markdownForTerminal } from '../../engine/cli/render-terminal.js';
import { frameworkSection } from '../../engine/runtime/memo-sections.js';

t.test('worker text in Markdown: links, images and HTML escaped, code spans kept', async (t) => {
  t.equal(markdownText('![x](https://e.example/p.png) <b>a</b> \\[y] `z`'), '!\\[x\\](https://e.example/p.png) \\<b>a\\</b> \\\\\\[y\\] `z`');
  t.equal(unescapeMarkdownText(markdownText('![x](u) <b> \\[y]')), '![x](u) <b> \\[y]');
});

// A file named `a`[x](https://e.example)` closed the memo's code span after `a` and left the
// link live.
t.test('a path with a backtick is no code span: the rest of it cannot be live', async (t) => {
  t.equal(markdownCode('src/a.ts'), '`src/a.ts`');
  t.equal(markdownCode('a`[x](https://e.example)'), 'a`\\[x\\](https://e.example)');
  const memo = frameworkSection({ kind: 'out_of_scope_file', files: [{ path: 'a`[x](https://e.example)`', why: 'a framework path' }] }).join('\n');
  t.notMatch(memo, /(?<!\\)\[x(?<!\\)\]/);
});

t.test('the terminal shows escaped worker text as the worker wrote it', async (t) => {
  t.equal(markdownForTerminal(`- goal: ${markdownText('see [docs](u) <b> `code`')} and \`engine resume\``, false), '- goal: see [docs](u) <b> code and engine resume');
  t.equal(markdownForTerminal(`1. **m1** — ${markdownText('a \\` b')}`, false), '1. m1 — a \\` b');
});
