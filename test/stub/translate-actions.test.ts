import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toClaudeToolUse, toCodexToolUse, toShellCommand } from '../../engine/stub/translate-actions.js';
import { shellQuote } from '../../engine/util/shell-quote.js';

t.test('claude tools with paths made absolute from the announced cwd', async (t) => {
  t.same(toClaudeToolUse({ write: { path: 'src/a.js', content: 'x' } }, '/repo'), { name: 'Write', input: { file_path: '/repo/src/a.js', content: 'x' } });
  t.same(toClaudeToolUse({ edit: { path: '/abs/b', old: 'o', new: 'n' } }, '/repo'), { name: 'Edit', input: { file_path: '/abs/b', old_string: 'o', new_string: 'n' } });
  t.same(toClaudeToolUse({ run: { cmd: 'npm test' } }, null), { name: 'Bash', input: { command: 'npm test', description: 'Run npm' } });
});

t.test('codex gets exec_command without a login shell', async (t) => {
  t.same(toCodexToolUse({ run: { cmd: 'ls -la' } }), { name: 'exec_command', input: { cmd: 'ls -la', login: false, yield_time_ms: 30_000 } });
  t.match(toShellCommand({ write: { path: 'a/b.txt', content: 'one\ntwo\n' } }), /^apply_patch <<'ENGINE_PATCH_EOF'\n\*\*\* Begin Patch\n\*\*\* Add File: a\/b\.txt\n\+one\n\+two\n\*\*\* End Patch\nENGINE_PATCH_EOF$/);
});

t.test('the shell commands for writes without a final newline and for edits do what they say', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'engine-translate-'));
  const sh = (cmd: string) => execFileSync('/bin/sh', ['-c', cmd], { cwd: dir, stdio: 'pipe' });
  const tricky = `it's "quoted" $HOME \`x\` \\ no newline`;
  sh(toShellCommand({ write: { path: 'deep/dir/f.txt', content: tricky } }));
  t.equal(readFileSync(path.join(dir, 'deep/dir/f.txt'), 'utf8'), tricky);
  writeFileSync(path.join(dir, 'e.txt'), 'alpha beta alpha\n');
  sh(toShellCommand({ edit: { path: 'e.txt', old: 'alpha', new: "it's" } }));
  t.equal(readFileSync(path.join(dir, 'e.txt'), 'utf8'), "it's beta alpha\n", 'first occurrence only');
  t.throws(() => sh(toShellCommand({ edit: { path: 'e.txt', old: 'missing', new: 'x' } })), 'a missing text fails the command');
  t.equal(shellQuote("a'b"), `'a'\\''b'`);
});
