import t from 'tap';
import { checkClaims, sandboxErrors } from '../../engine/runtime/steps/check-claims.js';

const codexStderr = [
  'WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir "/tmp" (codex_home: AbsolutePathBuf("/tmp/ch"))',
  '2026-12-01T13:20:00.453390Z ERROR codex_core::tools::router: error=Exit code: 1',
  'Failed to write file /tmp/ws/out/hello.txt',
].join('\n');

t.test('claims with no change on disk fail, naming the refused writes from stderr', async (t) => {
  const m = checkClaims({ filesChanged: ['out/hello.txt'], streamPaths: ['/tmp/ws/out/hello.txt'], changed: [], workspace: '/tmp/ws', stderr: codexStderr });
  t.match(m, /claims it changed out\/hello.txt but the workspace has none of these changes/);
  t.match(m, /Failed to write file \/tmp\/ws\/out\/hello.txt/);
  t.notMatch(m, /PATH aliases/, 'only lines that tell of a refused write');
});

t.test('claims that hold, no claims, or claims outside the workspace: no failure', async (t) => {
  t.equal(checkClaims({ filesChanged: ['a.txt', 'b.txt'], streamPaths: [], changed: ['b.txt'], workspace: '/w', stderr: '' }), null);
  t.equal(checkClaims({ filesChanged: ['src'], streamPaths: [], changed: ['src/x.ts'], workspace: '/w', stderr: '' }), null, 'a claimed directory');
  t.equal(checkClaims({ filesChanged: [], streamPaths: [], changed: [], workspace: '/w', stderr: codexStderr }), null);
  t.equal(checkClaims({ filesChanged: null, streamPaths: ['/elsewhere/x'], changed: [], workspace: '/w', stderr: '' }), null);
  t.match(checkClaims({ filesChanged: ['./a.txt'], streamPaths: [], changed: [], workspace: '/w', stderr: 'nothing here' }), /stderr shows no sandbox error/);
});

t.test('sandboxErrors: the usual refusals, deduplicated, at most 5', async (t) => {
  const lines = ['sh: 1: cannot create /x: Read-only file system', 'touch: cannot touch /y: Operation not permitted', 'open /z: Permission denied', 'EROFS: read-only file system, open /q', 'ok line'];
  t.same(sandboxErrors([...lines, ...lines].join('\n')), lines.slice(0, 4));
  t.equal(sandboxErrors(Array.from({ length: 9 }, (_, i) => `Failed to write file /f${i}`).join('\n')).length, 5);
});

t.test('a claim holds for a changed path or any folder above one, and nothing else', async (t) => {
  const base = { streamPaths: [], workspace: '/w', stderr: '' };
  t.equal(checkClaims({ ...base, filesChanged: ['src'], changed: ['src/deep/a.txt'] }), null, 'a folder above a change');
  t.equal(checkClaims({ ...base, filesChanged: ['src/deep'], changed: ['src/deep/a.txt'] }), null);
  t.equal(checkClaims({ ...base, filesChanged: ['src/deep/a.txt'], changed: ['src/deep/a.txt'] }), null);
  t.match(checkClaims({ ...base, filesChanged: ['sr'], changed: ['src/a.txt'] }), /claims it changed sr but/, 'a prefix of a name is not its folder');
  t.match(checkClaims({ ...base, filesChanged: ['src/deep/a.txt/x'], changed: ['src/deep/a.txt'] }), /claims it changed/, 'below a changed file is not it');
});

t.test("a worker's 100,000 false claims against 20,000 new files are judged at once (claims × files took minutes)", { timeout: 60_000 }, async (t) => {
  const changed = Array.from({ length: 20_000 }, (_, i) => `gen/d${i % 100}/f${i}.txt`);
  const filesChanged = Array.from({ length: 100_000 }, (_, i) => `nowhere/c${i}.txt`);
  t.match(checkClaims({ filesChanged, streamPaths: [], changed, workspace: '/w', stderr: '' }), /\(100000 in all\)/);
});
