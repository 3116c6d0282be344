import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TreeEntryChange } from '../../engine/git/changes.js';
import { checkEntries, escapes, linkObjects } from '../../engine/governance/check-entries.js';

let n = 0;
const sha = (): string => (++n).toString(16).padStart(40, '0');

/** Tree entries for links (path → target) and plain files, with the target map checkEntries reads. */
function entries(links: Record<string, string>, extra: TreeEntryChange[] = []): { list: TreeEntryChange[]; targets: Map<string, string> } {
  const targets = new Map<string, string>();
  const list: TreeEntryChange[] = [];
  for (const [p, target] of Object.entries(links)) {
    const id = sha();
    targets.set(id, target);
    list.push({ path: p, status: 'added', mode: '120000', sha: id });
  }
  return { list: [...list, ...extra], targets };
}

const file = (p: string, over: Partial<TreeEntryChange> = {}): TreeEntryChange => ({ path: p, status: 'added', mode: '100644', sha: sha(), ...over });

t.test('links that stay inside the workspace pass', async (t) => {
  const ok = {
    'a-link': 'a.txt',
    'dir/up': '../a.txt',
    'dir/sub/up2': '../../a.txt',
    'dir/self': '.',
    'dir/dot-slash': './x/y',
    'dir/norm': 'x/../../b.txt',
    'root-dot': '.',
    'dir/dotdotname': '..foo',
    'dir/gitish': '.gitignore',
    'dir/gitkeep': 'x/.github/workflows',
  };
  const { list, targets } = entries(ok);
  t.same(checkEntries(list, targets), []);
  for (const [at, target] of Object.entries(ok)) t.notOk(escapes(at, target), `${at} -> ${target}`);
});

t.test('absolute links, links that leave by .., and links into .git are escapes', async (t) => {
  const bad: Record<string, string> = {
    'abs': '/etc/passwd',
    'abs-root': '/',
    'up': '..',
    'up-file': '../outside.txt',
    'dir/up2': '../../outside.txt',
    'dir/norm': 'x/../../../y',
    'dir/trail': '../..',
    'dir/trail-slash': '../../',
    'to-git': '.git',
    'to-git-config': '.git/config',
    'dir/to-git': '../.git/hooks/pre-commit',
    'nested-git': 'sub/.git/config',
    'win-drive': 'C:/Windows',
    'win-drive-rel': 'c:foo',
    'backslash': '..\\..\\x',
    'empty': '',
  };
  const { list, targets } = entries(bad);
  const got = checkEntries(list, targets);
  t.same(got.map((v) => v.path).sort(), Object.keys(bad).sort());
  for (const v of got) {
    t.equal(v.rule, 'symlink_escape');
    t.equal(v.pattern, JSON.stringify(targets.get(list.find((e) => e.path === v.path)!.sha)).slice(1, -1), `${v.path}: the target is named`);
  }
});

t.test('a link whose target is unknown is an escape with no pattern', async (t) => {
  t.same(checkEntries([{ path: 'l', status: 'added', mode: '120000', sha: sha() }], new Map()), [{ path: 'l', rule: 'symlink_escape', pattern: null }]);
});

t.test('a type change to a link is checked like an added link', async (t) => {
  const { list, targets } = entries({ 'was-file': '/etc/shadow' });
  list[0]!.status = 'type_changed';
  t.same(checkEntries(list, targets), [{ path: 'was-file', rule: 'symlink_escape', pattern: '/etc/shadow' }]);
});

t.test('gitlinks are violations, deleted entries of any kind are ignored', async (t) => {
  const list: TreeEntryChange[] = [
    file('vendor/lib', { mode: '160000' }),
    file('modified-sub', { mode: '160000', status: 'modified' }),
    file('gone-sub', { mode: '000000', status: 'deleted' }),
    file('gone-link', { mode: '000000', status: 'deleted' }),
    file('gone\nbad', { mode: '000000', status: 'deleted' }),
    file('ok.txt'),
    file('run.sh', { mode: '100755' }),
  ];
  t.same(checkEntries(list, new Map()), [
    { path: 'vendor/lib', rule: 'gitlink', pattern: null },
    { path: 'modified-sub', rule: 'gitlink', pattern: null },
  ]);
  t.same(linkObjects([...list, { path: 'l', status: 'added', mode: '120000', sha: 'f'.repeat(40) }, { path: 'd', status: 'deleted', mode: '000000', sha: '0'.repeat(40) }]), ['f'.repeat(40)]);
});

t.test('control characters in a path (any entry kind), and in a link target', async (t) => {
  const paths = ['new\nline.txt', 'tab\there', 'cr\r.txt', 'esc\u001b[31m.txt', 'bell\u0007', 'del\u007f', 'nul-ish\u0001'];
  const list = [...paths.map((p) => file(p)), file('sub\nlink', { mode: '160000' })];
  t.same(
    checkEntries(list, new Map()),
    [...paths, 'sub\nlink'].map((p) => ({ path: p, rule: 'control_characters', pattern: null })),
    'one violation per path, control characters first',
  );
  const { list: links, targets } = entries({ 'l1': 'a\nb', 'l2': 'x\u001b]0;title\u0007', 'l3': 'ok\ttab' });
  const got = checkEntries(links, targets);
  t.same(got.map((v) => [v.path, v.rule]), [['l1', 'symlink_escape'], ['l2', 'symlink_escape'], ['l3', 'symlink_escape']]);
  for (const v of got) t.notMatch(v.pattern!, /[\u0000-\u001f\u007f]/, `${v.path}: the pattern is printable`);
  t.equal(got[0]!.pattern, 'a\\nb');
});

t.test('C1 control characters (U+0080-U+009F: CSI, NEL) in a path are control characters too', async (t) => {
  // U+009B is CSI for terminals that honour 8-bit controls; U+0085 is a line break. The
  // checkpoint message treats this range as control characters; paths should too.
  const list = [file('csi\u009b2J.txt'), file('nel\u0085.txt')];
  t.same(checkEntries(list, new Map()).map((v) => [v.path, v.rule]), [['csi\u009b2J.txt', 'control_characters'], ['nel\u0085.txt', 'control_characters']]);
});

t.test('a link that escapes through another link of the change (b -> ../.., a -> b/../x) is an escape', async (t) => {
  // Each target is inside by itself, lexically: d1/d2/b -> ../.. is the root, and
  // d1/d2/a -> b/../x is d1/d2/x. But the filesystem resolves b first, so a is <root>/../x.
  const links = { 'd1/d2/b': '../..', 'd1/d2/a': 'b/../x' };
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'engine-links-')));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const ws = path.join(root, 'ws');
  mkdirSync(path.join(ws, 'd1', 'd2'), { recursive: true });
  for (const [at, target] of Object.entries(links)) symlinkSync(target, path.join(ws, at));
  mkdirSync(path.join(root, 'x'));
  // (the kernel's resolution; Node's JS realpath folds `..` in link targets lexically)
  t.equal(realpathSync.native(path.join(ws, 'd1/d2/a')), path.join(root, 'x'), 'control: the link resolves outside the workspace');
  writeFileSync(path.join(ws, 'd1/d2/a/written-through.txt'), 'x');
  t.ok(existsSync(path.join(root, 'x', 'written-through.txt')), 'control: a write through it lands outside');
  const { list, targets } = entries(links);
  t.same(checkEntries(list, targets).map((v) => v.path), ['d1/d2/a'], 'the escaping link is reported');
});
