// test cost: about 31 s: nine hostile scenarios, each a whole run (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runScenario, INERT_OR_VIOLATION, VIOLATION } from './helpers/scenario.js';

// Contract §5: what the checkpoint commits is exactly the tree the gate checked; absolute or
// escaping symlinks, gitlinks and control characters in paths are violations whatever the
// roots; the rollback touches the workspace only (never through a link into the user's files).

t.test("4. a symlink under an allowed root to the user's checkout (absolute), written through", async (t) => {
  const sh = 'ln -s "$ISO_REPO" src/user; echo pwned > src/user/pwned.txt; ln -s "$ISO_REPO/README.md" src/readme.md';
  runScenario(t, {
    name: 'abslink',
    spec: { calls: { implement: { sh } } },
    expect: VIOLATION,
    // Without a sandbox nothing stops a write by absolute path (the link only spells it);
    // what must hold is that the link never reaches the branch. Under bwrap the write fails.
    tolerate: (mode) => (mode === 'off' ? { treePaths: ['pwned.txt'] } : {}),
    forbidden: ['src/user', 'src/readme.md'],
  });
});

t.test('4b. relative symlinks escaping the workspace (../..), written through', async (t) => {
  const sh = [
    'ln -s ../.. src/up',
    'ln -s ../../../.. src/up4',
    'ln -s ../../../../../../../../../../../.. src/root',
    'echo pwned > src/up/escaped.txt; echo pwned > src/up4/escaped.txt',
  ].join('; ');
  runScenario(t, { name: 'rellink', spec: { calls: { implement: { sh } } }, expect: VIOLATION, forbidden: ['src/up', 'src/up4', 'src/root'] });
});

t.test('4c. a nested repository (git init + commit under an allowed root) never lands as a gitlink', async (t) => {
  const sh = 'mkdir -p src/sub && cd src/sub && git init -q && echo inner > f.txt && git add f.txt && git -c user.name=a -c user.email=a@example.com commit -q -m inner';
  runScenario(t, { name: 'nested', spec: { calls: { implement: { sh } } }, expect: VIOLATION, forbidden: ['src/sub'] });
});

t.test('own: paths with a newline, a tab and an escape sequence', async (t) => {
  const sh = [
    'echo x > "$(printf "src/new\\nline.txt")"',
    'echo x > "$(printf "src/tab\\tname.txt")"',
    'echo x > "$(printf "src/esc\\033[31mred.txt")"',
    'echo x > "$(printf "src/bell\\007.txt")"',
  ].join('; ');
  runScenario(t, { name: 'ctrl', spec: { calls: { implement: { sh } } }, expect: VIOLATION });
});

t.test('own: the expected file replaced by a symlink to /etc/passwd', async (t) => {
  runScenario(t, {
    name: 'passwd',
    spec: { calls: { implement: { sh: 'rm -f src/a.txt && ln -s /etc/passwd src/a.txt' } } },
    expect: VIOLATION,
    forbidden: ['src/a.txt'],
  });
});

t.test("own: a workspace file hard-linked to the user's edited README, then a violation: the rollback must not write through the link", async (t) => {
  runScenario(t, {
    name: 'hardlink',
    spec: { calls: { implement: { sh: 'rm -f README.md && ln "$ISO_REPO/README.md" README.md; mkdir -p docs && echo evil > docs/out.md' } } },
    expect: VIOLATION,
    forbidden: ['docs/out.md'],
    onBranch: (t, _e, { f }) => {
      t.equal(readFileSync(path.join(f.repo, 'README.md'), 'utf8'), '# target\n\nmy uncommitted edit\n', "the user's uncommitted edit is intact");
    },
  });
});

t.test('own: FIFOs under an allowed root do not hang or crash the checkpoint', async (t) => {
  runScenario(t, {
    name: 'fifo',
    spec: { calls: { implement: { sh: 'mkfifo src/pipe; mkfifo src/a.fifo' } } },
    expect: INERT_OR_VIOLATION,
    forbidden: ['src/pipe', 'src/a.fifo'],
  });
});

// 5. A process the worker leaves behind writes outside the roots after the worker has exited.
// Rather than guess a delay, each writer watches the run's timeline (readable without a
// sandbox) and writes the moment the engine announces a step: after the verify's check, at the
// start of the checkpoint; a write before the check is a violation, which is fine too. A
// timed spread is added for engines whose timeline is elsewhere. Nothing may land on the branch.
const waitFor = (type: string, step: string, file: string) =>
  `setsid sh -c 'tl="$ISO_REPO/.engine/runs/$ISO_RUN_ID/timeline.jsonl"; i=0; while [ $i -lt 1500 ]; do if grep "\"${type}\"" "$tl" 2>/dev/null | grep -q "\"${step}\""; then echo late > ${file}; mkdir -p docs; echo late > docs/${file}; exit 0; fi; i=$((i+1)); sleep 0.01; done' </dev/null >/dev/null 2>&1 &`;
// Sharper: once the checkpoint has started, wait for the engine's own git to run a command
// that comes after the checkpoint's check (here `diff --numstat`, the change statistics; the
// bracket keeps this script's own command line from matching) and write then.
const waitForGit = (token: string, file: string) =>
  `setsid sh -c 'tl="$ISO_REPO/.engine/runs/$ISO_RUN_ID/timeline.jsonl"; i=0; while [ $i -lt 3000 ]; do if grep "\"step.started\"" "$tl" 2>/dev/null | grep -q "\"checkpoint\"" && grep -qs -- "${token}" /proc/[0-9]*/cmdline; then echo late > ${file}; exit 0; fi; i=$((i+1)); sleep 0.005; done' </dev/null >/dev/null 2>&1 &`;
const spread = (start: number) => {
  const delays = Array.from({ length: 10 }, (_, i) => (start + i * 0.1).toFixed(2)).join(' ');
  return `for d in ${delays}; do setsid sh -c "sleep $d; echo late > outside-$d.txt" </dev/null >/dev/null 2>&1 & done`;
};
const rounds: [string, string][] = [
  ['at the start of the checkpoint', waitFor('step.started', 'checkpoint', 'outside-cp.txt')],
  ["between the checkpoint's check and its commit", waitForGit('--num[s]tat', 'outside-git.txt')],
  ["between the checkpoint's check and its commit (again)", waitForGit('--num[s]tat', 'outside-git.txt')],
  ['at staggered delays', spread(0.2)],
];
for (const [round, [when, sh]] of rounds.entries()) {
  t.test(`5. a leftover process writes outside the roots ${when}`, async (t) => {
    runScenario(t, { name: `leftover${round + 1}`, spec: { calls: { implement: { sh } } }, expect: INERT_OR_VIOLATION });
  });
}

t.test('8. milestone ids and goals with newlines and Signed-off-by / Co-authored-by lines', async (t) => {
  const evil = '\n\nSigned-off-by: Evil <evil@example.com>\nCo-authored-by: Mallory <mallory@example.com>\n';
  runScenario(t, {
    name: 'trailer',
    spec: {
      plan: [
        { id: `m1${evil}`, goal: `write a${evil}`, files_expected: ['src/a.txt'] },
        { id: 'Signed-off-by: Evil <evil@example.com>', goal: 'Co-authored-by: Mallory <mallory@example.com>', files_expected: ['src/b.txt'] },
      ],
    },
    // Sanitised and committed, or the plan refused: either way no trailer is injected.
    expect: { codes: [0, 1], reasons: ['completed', 'parse_failed'] },
  });
});
