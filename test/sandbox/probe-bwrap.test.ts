import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeBwrap, probeBwrapAsync } from '../../engine/sandbox/probe-bwrap.js';

// The probe's verdict on a bubblewrap that cannot be run or does not work, worded once: the
// reason the system or the shell gave, never "could not be run" twice. Each case has a PATH of
// its own (the probe's answer is cached per PATH).
const linux = process.platform === 'linux';

/** A PATH whose `bwrap` is the given script, ahead of the system's own directories. */
function pathWithBwrap(t: { teardown(fn: () => void): void }, script: string): { env: NodeJS.ProcessEnv; bin: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-probe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const binDir = path.join(dir, 'bin');
  mkdirSync(binDir);
  const bin = path.join(binDir, 'bwrap');
  writeFileSync(bin, script);
  chmodSync(bin, 0o755);
  return { env: { ...process.env, PATH: `${binDir}:/usr/bin:/bin` }, bin };
}

t.test('a bubblewrap whose interpreter is missing could not be run: said once, with the reason', { skip: !linux && 'Linux only' }, async (t) => {
  const { env, bin } = pathWithBwrap(t, '#!/engine-no-such-interpreter\n');
  const viaShell = await probeBwrapAsync(env);
  t.equal(viaShell.ok, false);
  if (viaShell.ok) return;
  t.equal(viaShell.bin, bin);
  t.match(viaShell.error, new RegExp(`^${bin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} could not be run \\(.+\\)$`));
  t.equal(viaShell.error.split('could not be run').length, 2, 'the phrase once');
  const { env: env2 } = pathWithBwrap(t, '#!/engine-no-such-interpreter\n');
  const direct = probeBwrap(env2);
  t.equal(direct.ok, false);
  if (!direct.ok) t.match(direct.error, /could not be run \(.*ENOENT\)$/, "node's spawn says ENOENT");
});

t.test('a bubblewrap that fails does not work here: its exit and first line of stderr', { skip: !linux && 'Linux only' }, async (t) => {
  const { env } = pathWithBwrap(t, '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\necho more >&2\nexit 1\n');
  const r = await probeBwrapAsync(env);
  t.equal(r.ok, false);
  if (!r.ok) t.match(r.error, /does not work here \(exit 1: bwrap: No permissions to create new namespace\)$/);
});
