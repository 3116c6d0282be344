import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkWorkspaceDeps } from '../../engine/doctor/check-workspace-deps.js';
import { renderPolicyOverride } from '../../engine/config/init-files.js';
import { hasLockfile } from '../../engine/config/init-repo.js';

function project(opts: { deps?: boolean; installed?: boolean; lockfile?: boolean }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-deps-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'p', devDependencies: opts.deps === false ? {} : { ava: '^6.0.0' } }));
  if (opts.installed) mkdirSync(path.join(dir, 'node_modules', 'ava'), { recursive: true });
  if (opts.lockfile) writeFileSync(path.join(dir, 'package-lock.json'), '{}');
  return dir;
}
const tiers = (cmd: string) => ({ cwd: '.', tiers: { tier0: { commands: [cmd] } } });

t.test('a tier that needs the dependencies the workspace will not have is a warning that says what to set', async (t) => {
  const none = checkWorkspaceDeps(tiers('npx ava'), { share: [], setup: [] }, project({}));
  t.equal(none?.status, 'warn');
  t.equal(none?.message, "tier0 runs `npx ava`, which needs the project's dependencies, but the workspace will not have them: workspace.share does not name node_modules and no workspace.setup installs it");
  t.equal(none?.hint, 'set `workspace.share: ["node_modules"]` (after installing them in the checkout) or `workspace.setup: ["npm ci --prefer-offline"]`');

  const notInstalled = checkWorkspaceDeps(tiers('npm test'), { share: null, setup: [] }, project({}));
  t.equal(notInstalled?.status, 'warn', 'shared by default, but nothing is installed in the checkout');
  t.match(notInstalled?.message, /workspace.share names node_modules but the checkout has none installed/);

  t.equal(checkWorkspaceDeps(tiers('npx ava'), { share: null, setup: [] }, project({ installed: true }))?.status, 'ok', 'the default share of an installed checkout');
  t.equal(checkWorkspaceDeps(tiers('npx ava'), { share: [], setup: ['npm ci --prefer-offline'] }, project({}))?.status, 'ok', 'a set-up installs them');
  t.equal(checkWorkspaceDeps(tiers('test -f README.md'), { share: [], setup: [] }, project({})), null, 'a command that needs no dependency');
  t.equal(checkWorkspaceDeps(tiers('npx ava'), { share: [], setup: [] }, project({ deps: false })), null, 'a project without dependencies');
});

t.test('engine init proposes sharing node_modules when a lockfile says the project installs dependencies', async (t) => {
  t.equal(hasLockfile(project({ lockfile: true })), true);
  t.equal(hasLockfile(project({})), false);
  const shared = renderPolicyOverride('schema.json', true, 'share');
  t.match(shared, /^workspace:\n {2}share: \["node_modules"\]/m);
  const none = renderPolicyOverride('schema.json', true, 'none');
  t.match(none, /^# workspace:\n# {3}share: \["node_modules"\]/m);
  t.notMatch(none, /^workspace:/m, 'no set-up or share is proposed without a lockfile');
});
