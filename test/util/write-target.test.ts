import t from 'tap';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveWriteTarget } from '../../engine/util/write-target.js';

t.test('a write through a link goes where it leads; a link to nothing or to no regular file is refused', async (t) => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'engine-write-target-')));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'shared'));
  writeFileSync(path.join(dir, 'shared', 'p.yaml'), '');
  symlinkSync('shared/p.yaml', path.join(dir, 'link.yaml'));
  symlinkSync('shared', path.join(dir, 'folder-link'));
  symlinkSync('nowhere/p.yaml', path.join(dir, 'dangling.yaml'));
  symlinkSync('/dev/null', path.join(dir, 'null.yaml'));
  t.same(resolveWriteTarget(path.join(dir, 'link.yaml')), { target: path.join(dir, 'shared', 'p.yaml') }, 'a link: the file it leads to');
  t.same(resolveWriteTarget(path.join(dir, 'new.yaml')), { target: path.join(dir, 'new.yaml') }, 'nothing there: the name itself');
  t.same(resolveWriteTarget(path.join(dir, 'folder-link', 'new.yaml')), { target: path.join(dir, 'shared', 'new.yaml') }, 'its folder a link: resolved');
  t.same(resolveWriteTarget(path.join(dir, 'nowhere', 'new.yaml')), { target: path.join(dir, 'nowhere', 'new.yaml') }, 'its folder missing: as named');
  t.match(resolveWriteTarget(path.join(dir, 'dangling.yaml')), { why: /^it is a link to nothing \(nowhere\/p\.yaml\)/ });
  t.same(resolveWriteTarget(path.join(dir, 'folder-link')), { why: 'it is a directory' });
  t.same(resolveWriteTarget(path.join(dir, 'null.yaml')), { why: 'it is a device, not a regular file (name a file of its own)' });
});
