import t from 'tap';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadedPlugins, noteLoaded, pluginInStack } from '../../engine/util/pending-awaits.js';

t.test('a plugin imported by a link and by its real path is one plugin, named as first given; a stack may name either', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-plugins-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const real = path.join(dir, 'real.mjs');
  const link = path.join(dir, 'link.mjs');
  writeFileSync(real, 'export const x = 1;\n');
  symlinkSync(real, link);
  noteLoaded(link);
  noteLoaded(real);
  noteLoaded(link);
  t.same(loadedPlugins(), [link], 'once, by the name it was first imported by');
  t.equal(pluginInStack(`Error: x\n    at f (${real}:3:9)`), real, 'a stack through the real path');
  t.equal(pluginInStack(`Error: x\n    at f (${pathToFileURL(link).href}:3:9)`), link, 'a stack through the link, as a URL');
  t.equal(pluginInStack(`Error: x\n    at f (${path.join(dir, 'other.mjs')}:3:9)`), null, 'another file is none of them');
  const gone = path.join(dir, 'gone.mjs');
  noteLoaded(gone);
  t.same(loadedPlugins(), [link, gone], 'a file that cannot be resolved is kept by its name');
});
