import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { checkWorkspaceShare } from '../../engine/doctor/check-workspace-share.js';

/** A git repo whose .gitignore hides node_modules/ and dist/, with node_modules installed and src/ tracked. */
function checkout(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-share-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\ndist/\n');
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'src', 'a.js'), 'export {};\n');
  git('add', '.');
  mkdirSync(path.join(dir, 'node_modules', 'left-pad'), { recursive: true });
  writeFileSync(path.join(dir, 'node_modules', 'left-pad', 'index.js'), '');
  return dir;
}

t.test('workspace.share globs that match no git-ignored path are a warning that names each', async (t) => {
  const dir = checkout();
  const target = { gitDir: path.join(dir, '.git'), workTree: dir };
  const typo = await checkWorkspaceShare(['node_module', 'node_modules', 'src', 'dist'], target);
  t.equal(typo?.id, 'workspace.share');
  t.equal(typo?.status, 'warn');
  // A misspelt name, a tracked path, and an ignored one that is not there yet (nothing built).
  t.equal(typo?.message, 'workspace.share "node_module", "src", "dist" matched no git-ignored path of the checkout (a misspelt name, a tracked path, or dependencies not installed yet): the workspace sees nothing through them');
  t.match(typo?.hint, /only git-ignored paths are shared/);

  const ok = await checkWorkspaceShare(['node_modules', '*_modules'], target);
  t.equal(ok?.status, 'ok');
  t.equal(ok?.message, 'each workspace.share glob matches git-ignored paths of the checkout: node_modules');
  // git lists an ignored folder whole: a glob for what is inside it shares nothing, as a run would.
  t.equal((await checkWorkspaceShare(['node_modules/*'], target))?.status, 'warn', 'a glob inside an ignored folder');
  t.equal(await checkWorkspaceShare(null, target), null, 'the default share is workspace.deps\'s to judge');
  t.equal(await checkWorkspaceShare([], target), null, 'nothing shared: nothing to say');
  t.equal(await checkWorkspaceShare(['node_modules'], { gitDir: path.join(dir, 'no-such-git-dir'), workTree: dir }), null, 'a repository git cannot read: the repo check says so');
});
