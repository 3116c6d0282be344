import t from 'tap';
import { parse } from 'yaml';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';

// A repository (a `.git` git would take): commands read the .engine/ of the repository they stand in.
const gitMark = () => ({ HEAD: 'ref: refs/heads/main\n', objects: {}, refs: {} });
const repoFiles = {
  '.git': gitMark(),
  '.engine': { 'policy.yaml': 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  max_ticks: 40\n  time_min: 30\n' },
};

t.test('--explain: a key set by the repo file then by --set shows the --set value and source', async (t) => {
  const cwd = t.testdir(repoFiles);
  const io = memoryIo({ cwd });
  t.equal(await main(['policy', '--set', 'budgets.max_ticks=7', '--explain'], io), 0);
  const lines = io.out.join('').split('\n');
  t.match(lines.find((l) => l.startsWith('budgets.max_ticks ')), /^budgets\.max_ticks = 7 +# --set budgets\.max_ticks=7$/);
  t.match(lines.find((l) => l.startsWith('budgets.time_min ')), /^budgets\.time_min = 30 +# \.engine\/policy\.yaml:5:13$/);
  t.match(lines.find((l) => l.startsWith('budgets.review_rounds ')), /^budgets\.review_rounds = 2 +# .*policies\/default\.policy\.yaml:\d+:\d+$/);
  t.equal(io.err.join(''), '');
});

t.test('without flags: the effective policy as YAML with its hash', async (t) => {
  const cwd = t.testdir(repoFiles);
  const io = memoryIo({ cwd });
  t.equal(await main(['policy'], io), 0);
  const text = io.out.join('');
  t.match(text, /^# effective policy sha256:[0-9a-f]{64}\n# layers: built-in defaults < \.engine\/policy\.yaml\n/);
  const policy = parse(text) as { budgets: { max_ticks: number }; governance: { protected: string[] } };
  t.equal(policy.budgets.max_ticks, 40);
  t.same(policy.governance.protected, ['.git/**', '.engine/**']);
});

t.test('--repo names another directory; --policy files layer in order', async (t) => {
  const cwd = t.testdir({ '.git': gitMark(), repo: repoFiles, 'a.yaml': 'apiVersion: engine/v1\nkind: Policy\nbudgets: {max_ticks: 50}\n' });
  const io = memoryIo({ cwd });
  t.equal(await main(['policy', '--repo', 'repo', '--policy', 'a.yaml', '--json'], io), 0);
  const doc = JSON.parse(io.out.join('')) as { policy: { budgets: { max_ticks: number; time_min: number } }; hash: string; layers: { source: string }[]; provenance: Record<string, { source: string; file?: string; line?: number }> };
  t.equal(doc.policy.budgets.max_ticks, 50);
  t.equal(doc.policy.budgets.time_min, 30);
  t.same(doc.layers.map((l) => l.source), ['default', 'repo', '--policy']);
  t.same(doc.provenance['budgets.max_ticks'], { source: '--policy', file: 'a.yaml', line: 3, col: 22 });
  t.match(doc.hash, /^sha256:/);
});

t.test('errors: exit 2, diagnostics on stderr (or in the JSON document)', async (t) => {
  const cwd = t.testdir(repoFiles);
  const io = memoryIo({ cwd });
  t.equal(await main(['policy', '--set', 'budgets.max_tick=1'], io), 2);
  t.equal(io.out.join(''), '');
  t.match(io.err.join(''), /^--set: error E_UNKNOWN_KEY --set budgets\.max_tick=1: unknown key `max_tick` in `budgets` \(did you mean `max_ticks`\?\)\n$/);
  const json = memoryIo({ cwd });
  t.equal(await main(['policy', '--json', '--policy', 'missing.yaml'], json), 2);
  const doc = JSON.parse(json.out.join('')) as { policy: unknown; diagnostics: { code: string }[] };
  t.equal(doc.policy, null);
  t.same(doc.diagnostics.map((d) => d.code), ['E_FILE']);
});

t.test('the user layer: defaults < ${XDG_CONFIG_HOME:-~/.config}/engine/policy.yaml < repo < --policy < --set', async (t) => {
  const cwd = t.testdir({
    '.git': gitMark(),
    repo: repoFiles,
    home: { '.config': { engine: { 'policy.yaml': 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  max_ticks: 90\n  review_rounds: 5\nexplore:\n  mode: off\n' } } },
    xdg: { engine: { 'policy.yaml': 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  parse_retries: 4\n' } },
    'a.yaml': 'apiVersion: engine/v1\nkind: Policy\nexplore: {mode: on}\n',
  });
  const home = `${cwd}/home`;
  const io = memoryIo({ cwd, env: { HOME: home } });
  t.equal(await main(['policy', '--repo', 'repo', '--policy', 'a.yaml', '--set', 'budgets.review_rounds=3', '--explain'], io), 0);
  const line = (key: string) => io.out.join('').split('\n').find((l) => l.startsWith(`${key} `))?.replace(/ +#/, ' #');
  t.equal(line('budgets.max_ticks'), 'budgets.max_ticks = 40 # repo/.engine/policy.yaml:4:14', 'the repo beats the user');
  t.equal(line('budgets.review_rounds'), 'budgets.review_rounds = 3 # --set budgets.review_rounds=3', '--set beats the user');
  t.equal(line('explore.mode'), 'explore.mode = "on" # a.yaml:3:17', '--policy beats the user');
  t.match(line('budgets.parse_retries'), /^budgets\.parse_retries = 1 # .*policies\/default\.policy\.yaml:\d+:\d+$/, 'XDG_CONFIG_HOME unset: the xdg file is not read');
  const solo = memoryIo({ cwd, env: { HOME: home } });
  t.equal(await main(['policy', '--explain'], solo), 0);
  t.match(solo.out.join(''), new RegExp(`^budgets\\.review_rounds = 5 +# ${home}/\\.config/engine/policy\\.yaml:5:18$`, 'm'), 'the user beats the defaults');
  const plain = memoryIo({ cwd, env: { HOME: home } });
  t.equal(await main(['policy'], plain), 0);
  t.match(plain.out.join(''), `# layers: built-in defaults < ${home}/.config/engine/policy.yaml (user)\n`);

  const xdg = memoryIo({ cwd, env: { HOME: home, XDG_CONFIG_HOME: `${cwd}/xdg` } });
  t.equal(await main(['policy', '--json'], xdg), 0);
  const doc = JSON.parse(xdg.out.join('')) as { policy: { budgets: { parse_retries: number; max_ticks: number } }; layers: { source: string; file?: string }[] };
  t.same(doc.layers, [{ source: 'default', file: doc.layers[0]!.file }, { source: 'user', file: `${cwd}/xdg/engine/policy.yaml` }]);
  t.equal(doc.policy.budgets.parse_retries, 4, 'XDG_CONFIG_HOME replaces ~/.config');
  t.equal(doc.policy.budgets.max_ticks, 200, 'and ~/.config is then not read');

  const bad = memoryIo({ cwd, env: { XDG_CONFIG_HOME: `${cwd}/home/.config` } });
  await import('node:fs').then((fs) => fs.writeFileSync(`${home}/.config/engine/policy.yaml`, 'apiVersion: engine/v1\nkind: Policy\nbudgets: {max_tick: 3}\n'));
  t.equal(await main(['policy'], bad), 2);
  t.equal(bad.err.join(''), `${home}/.config/engine/policy.yaml:3:11: error E_UNKNOWN_KEY unknown key \`max_tick\` in \`budgets\` (did you mean \`max_ticks\`?)\n`, 'a bad user layer is reported where it is');
});
