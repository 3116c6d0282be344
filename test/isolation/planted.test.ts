// test cost: about 15 s: six hostile scenarios, each a whole run (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runScenario, COMPLETED, INERT_OR_VIOLATION, VIOLATION } from './helpers/scenario.js';

// Contract §5, the engine's own git: no hooks, no fsmonitor, no system or global config, no
// filter or textconv driver. Every command below appends to the planted log if it ever runs;
// the log must stay absent, in the engine's own git commands, its checkpoint and its rollback.

const HOOKS = 'pre-commit prepare-commit-msg commit-msg post-commit post-checkout post-merge post-rewrite reference-transaction post-index-change pre-auto-gc';

t.test('3. filter clean/smudge/process, textconv and merge drivers in the cwd .git/config with a .gitattributes using them', async (t) => {
  const sh = [
    'git config filter.evil.clean "$ISO_PLANT_FILTER clean %f"',
    'git config filter.evil.smudge "$ISO_PLANT_FILTER smudge %f"',
    'git config filter.evil2.process "$ISO_PLANT process"',
    'git config diff.evil.textconv "$ISO_PLANT textconv"',
    'git config diff.evil.command "$ISO_PLANT diff-command"',
    'git config merge.evil.driver "$ISO_PLANT merge %O %A %B"',
    'printf "* filter=evil diff=evil merge=evil\\n*.txt filter=evil2\\n" > src/.gitattributes',
    'gd=$(git rev-parse --absolute-git-dir) && mkdir -p "$gd/info" && printf "* filter=evil diff=evil\\n" > "$gd/info/attributes"',
  ].join('; ');
  runScenario(t, { name: 'filter', spec: { calls: { implement: { sh } } }, expect: INERT_OR_VIOLATION });
});

t.test("3b. a filter written into the user's own .git/config by absolute path", async (t) => {
  const sh = [
    'git config --file "$ISO_REPO/.git/config" filter.evil.clean "$ISO_PLANT_FILTER clean %f"',
    'git config --file "$ISO_REPO/.git/config" filter.evil.smudge "$ISO_PLANT_FILTER smudge %f"',
    'git config --file "$ISO_REPO/.git/config" diff.evil.textconv "$ISO_PLANT textconv"',
    'printf "* filter=evil diff=evil\\n" > src/.gitattributes',
    'mkdir -p "$ISO_REPO/.git/info" && printf "* filter=evil diff=evil\\n" >> "$ISO_REPO/.git/info/attributes"',
  ].join('; ');
  runScenario(t, {
    name: 'userfilter',
    spec: { calls: { implement: { sh } } },
    // Without a sandbox the write lands: the engine must see its repo changed and stop (exit 3)
    // instead of running it. Under bwrap the user's repo is read-only: nothing lands.
    expect: (mode) => (mode === 'off' ? VIOLATION : INERT_OR_VIOLATION),
    tolerate: (mode) => (mode === 'off' ? { items: ['config', 'gitdir'] } : {}),
  });
});

t.test('own: core.hooksPath and hooks planted in the cwd git dir', async (t) => {
  const sh = [
    `mkdir -p "$ISO_SCRATCH/hooks" && for h in ${HOOKS}; do cp "$ISO_PLANT" "$ISO_SCRATCH/hooks/$h"; done`,
    'git config core.hooksPath "$ISO_SCRATCH/hooks"',
    `gd=$(git rev-parse --path-format=absolute --git-common-dir) && mkdir -p "$gd/hooks" && for h in ${HOOKS}; do cp "$ISO_PLANT" "$gd/hooks/$h"; done`,
  ].join('; ');
  runScenario(t, { name: 'hooks', spec: { calls: { implement: { sh } } }, expect: INERT_OR_VIOLATION });
});

t.test('own: core.fsmonitor (a command) and the untracked cache in the cwd config', async (t) => {
  const sh = 'git config core.fsmonitor "$ISO_PLANT"; git config core.untrackedCache true; git config core.preloadIndex true';
  runScenario(t, { name: 'fsmon', spec: { calls: { implement: { sh } } }, expect: INERT_OR_VIOLATION });
});

t.test('own: gpg signing, sshCommand, pager, editor, askpass, credential helper and an ext:: remote in the cwd config', async (t) => {
  const sh = [
    'git config commit.gpgSign true',
    'git config gpg.program "$ISO_PLANT"',
    'git config gpg.format openpgp',
    'git config tag.gpgSign true',
    'git config core.sshCommand "$ISO_PLANT ssh"',
    'git config core.pager "$ISO_PLANT pager"',
    'git config core.editor "$ISO_PLANT editor"',
    'git config sequence.editor "$ISO_PLANT sequence-editor"',
    'git config core.askPass "$ISO_PLANT askpass"',
    'git config credential.helper "!$ISO_PLANT credential"',
    'git config protocol.ext.allow always',
    'git config remote.origin.url "ext::$ISO_PLANT %S"',
    'git config remote.origin.fetch "+refs/heads/*:refs/remotes/origin/*"',
    'git config core.alternateRefsCommand "$ISO_PLANT alternate-refs"',
    'git config uploadpack.packObjectsHook "$ISO_PLANT pack-objects-hook"',
  ].join('; ');
  runScenario(t, { name: 'gpgssh', spec: { calls: { implement: { sh } } }, expect: INERT_OR_VIOLATION });
});

t.test("own: the engine user's global git config and global attributes rewritten (HOME, XDG_CONFIG_HOME)", async (t) => {
  const config = '[core]\\n\\tfsmonitor = $ISO_PLANT\\n\\thooksPath = $ISO_SCRATCH/ghooks\\n[filter \\"evil\\"]\\n\\tclean = $ISO_PLANT_FILTER clean\\n\\tsmudge = $ISO_PLANT_FILTER smudge\\n[diff \\"evil\\"]\\n\\ttextconv = $ISO_PLANT textconv\\n[commit]\\n\\tgpgSign = true\\n[gpg]\\n\\tprogram = $ISO_PLANT\\n';
  const sh = [
    `mkdir -p "$ISO_SCRATCH/ghooks" && for h in ${HOOKS}; do cp "$ISO_PLANT" "$ISO_SCRATCH/ghooks/$h"; done`,
    `printf "${config}" > "$ISO_HOME/.gitconfig"`,
    `mkdir -p "$ISO_HOME/.config/git" && printf "${config}" > "$ISO_HOME/.config/git/config"`,
    'printf "* filter=evil diff=evil\\n" > "$ISO_HOME/.config/git/attributes"',
    `printf "${config}" > "$HOME/.gitconfig"`,
  ].join('; ');
  runScenario(t, { name: 'global', spec: { calls: { implement: { sh } } }, expect: INERT_OR_VIOLATION });
});

// Before each snapshot the engine writes a mark file in its git dir of the workspace (its
// clock for the stat record, git/stat-record.ts). Planted there as a link to a file of the
// user's, the mark made the engine truncate that file and write into it.
for (const [kind, ln] of [
  ['a symbolic link', 'ln -sf'],
  ['a hard link', 'ln -f'],
] as const) {
  t.test(`own: the engine's stat mark planted as ${kind} to a file outside`, async (t) => {
    const victim = 'victim.txt';
    const sh = [
      `printf 'keep me\\n' > "$ISO_SCRATCH/${victim}"`,
      `${ln} "$ISO_SCRATCH/${victim}" "$PWD.git/engine-stat-mark"`,
    ].join('; ');
    runScenario(t, {
      name: `mark-${ln.includes('s') ? 'sym' : 'hard'}`,
      spec: { calls: { implement: { sh } } },
      expect: INERT_OR_VIOLATION,
      afterRun: (t, { f }) => {
        t.equal(readFileSync(path.join(f.scratch, victim), 'utf8'), 'keep me\n', 'the file the mark led to is as it was');
      },
    });
  });
}

// The engine replaces its records through a temp file named by its pid (`.<name>.<pid>.tmp`),
// which a worker without the sandbox can read from the run's lock. Planted as links there,
// the names made the engine write its summary or the store's index into a file of the user's.
t.test("own: the engine's temp names in the run store planted as links to a file outside", async (t) => {
  const sh = [
    `printf 'keep me\\n' > "$ISO_SCRATCH/victim.txt"`,
    'store="$ISO_REPO/.engine/runs"; pid=$(cat "$store/$ISO_RUN_ID/run.lock")',
    'for n in summary.md memo.md env.json; do ln -sf "$ISO_SCRATCH/victim.txt" "$store/$ISO_RUN_ID/.$n.$pid.tmp"; done',
    'ln -sf "$ISO_SCRATCH/victim.txt" "$store/.index.jsonl.$pid.tmp"',
  ].join('; ');
  runScenario(t, {
    name: 'tmpnames',
    spec: { calls: { implement: { sh } } },
    expect: INERT_OR_VIOLATION,
    afterRun: (t, { f }) => {
      t.equal(readFileSync(path.join(f.scratch, 'victim.txt'), 'utf8'), 'keep me\n', 'the file the names led to is as it was');
    },
  });
});

// The checkpoint copies the new objects of the checked tree from the engine's store into the
// user's. Without the OS sandbox a verification command (code the worker wrote) runs after
// the gate read that tree and can rewrite its object file: a forged tree, with a path no
// rule allowed, would then be what the user's branch holds.
t.test("own: a verification command rewrites the checked tree's object before the checkpoint", async (t) => {
  const forge = [
    'gd="$PWD.git"',
    'T=$(git --git-dir="$gd" write-tree)',
    'B=$(printf "run: evil\\n" | git --git-dir="$gd" hash-object -w --stdin)',
    'F=$(printf "100644 blob $B\\tevil.yml\\n" | git --git-dir="$gd" mktree)',
    'o() { echo "$gd/objects/$(echo $1 | cut -c1-2)/$(echo $1 | cut -c3-)"; }',
    '{ rm -f "$(o $T)" && cp "$(o $F)" "$(o $T)"; } 2>/dev/null',
    'true',
  ].join('; ');
  runScenario(t, {
    name: 'forgedtree',
    spec: { calls: { implement: { sh: 'true' } } },
    repoPolicy: { verification: { tiers: { tier0: { commands: [forge] } } } },
    forbidden: ['evil.yml'],
    // Under bubblewrap the engine's git dir is read-only: the rewrite fails and the run completes.
    expect: (mode) => (mode === 'off' ? VIOLATION : COMPLETED),
  });
});
