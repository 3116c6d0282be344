import t from 'tap';
import { attemptedPatch } from '../../engine/git/attempted-patch.js';
import { redactLatin1 } from '../../engine/workers/redact.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { workspaceTarget } from '../../engine/git/workspace.js';
import { git, makeRepo, makeWorkspace, writeFiles } from './fixtures/repo.js';

// A rolled-back attempt is kept as a patch in the run directory. It was read whole into one
// string: a change over 512 MiB (the longest string V8 makes) ended the run with an engine
// error (exit 70), and any large one took its size in memory twice. Now the patch keeps a
// cap's worth, secrets masked before the cut, and says what it left out and how to see it.

const SECRET = 'sk-test-0123456789abcdefghijklmnop';
const scrub = (text: string): string => text.split(SECRET).join('[REDACTED]');

t.test('a patch under the cap is kept whole, secrets masked', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'small');
  writeFiles(ws.dir, { 'b.txt': `key=${SECRET}\n` });
  const tree = await snapshotTree(ws);
  const r = await attemptedPatch(workspaceTarget(ws), git(repo, 'rev-parse', `${baseSha}^{tree}`), tree, scrub, 1024 * 1024);
  const text = r.bytes.toString('utf8');
  t.equal(r.truncated, false);
  t.match(text, /\+key=\[REDACTED\]/);
  t.notMatch(text, SECRET);
  t.notMatch(text, /# engine:/);
});

t.test('a patch over the cap keeps whole lines up to it, no part of a secret at the cut, and says how to see the rest', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'large');
  const cap = 64 * 1024;
  // Lines of 100 bytes, each with the secret: whatever the cut, one straddles it.
  const line = (i: number): string => `${String(i).padStart(8, '0')} ${SECRET} ${'x'.repeat(100 - 8 - SECRET.length - 3)}\n`;
  writeFiles(ws.dir, { 'big.txt': Array.from({ length: 5000 }, (_, i) => line(i)).join('') });
  const tree = await snapshotTree(ws);
  const base = git(repo, 'rev-parse', `${baseSha}^{tree}`);
  const r = await attemptedPatch(workspaceTarget(ws), base, tree, scrub, cap);
  const text = r.bytes.toString('utf8');
  t.equal(r.truncated, true);
  t.notMatch(text, SECRET.slice(0, 8), 'no part of the secret');
  const [kept, note] = text.split('\n# engine: ');
  t.ok(Buffer.byteLength(kept!) <= cap, `the kept part is at most the cap (${Buffer.byteLength(kept!)})`);
  t.ok(kept!.endsWith(`${'x'.repeat(100 - 8 - SECRET.length - 3)}\n`), 'it ends at a whole line');
  t.match(note, new RegExp(`${base}.*${tree}`), 'the note names both trees to diff');
});

// Found by a hostile review: a binary file's change is written zlib-compressed in base85
// (`GIT binary patch`), where no text search finds a secret; and a secret with bytes outside
// ASCII never matched the patch, read as latin1 text.
t.test('a secret in a binary file, or with bytes outside ASCII, does not reach the patch', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'binary');
  const secret = Buffer.from('sk-binary-0123456789abcdefgh');
  const wide = 'pässwörd-0123456789-ünïcode';
  writeFiles(ws.dir, { 'blob.bin': Buffer.concat([Buffer.from([0, 1, 2, 0]), secret, Buffer.alloc(64, 7)]), 'plain.bin': Buffer.from([0, 9, 9, 0, 1]), 'notes.txt': `pw=${wide}\n` });
  const tree = await snapshotTree(ws);
  const secrets = [{ name: 'BIN_TOKEN', value: secret }, { name: 'WIDE_PASSWORD', value: Buffer.from(wide) }];
  const r = await attemptedPatch(workspaceTarget(ws), git(repo, 'rev-parse', `${baseSha}^{tree}`), tree, (x) => redactLatin1(x, secrets), 1024 * 1024, secrets);
  const text = r.bytes.toString('latin1');
  t.match(text, /GIT binary patch/, 'a binary change without a secret is kept as git wrote it');
  t.match(text, /blob\.bin[\s\S]*# engine: a binary change left out: it holds the value of BIN_TOKEN/);
  t.notOk(r.bytes.includes(Buffer.from(wide)), 'the wide secret is masked');
  t.match(r.bytes.toString('utf8'), /pw=\[REDACTED:WIDE_PASSWORD\]/);
  const inflated = [...text.matchAll(/GIT binary patch\n((?:.+\n)+)/g)].length;
  t.ok(inflated >= 1, 'the other binary change stays');
});
