import { WHOLE_DIFF } from './changes.js';
import { gitHead, type GitTarget } from './run-git.js';
import { dropSecretBinaries } from './binary-patch.js';

/** The most of a rolled-back attempt's patch the run directory keeps. */
export const PATCH_CAP_BYTES = 64 * 2 ** 20;

/** Read past the cap, so that a secret the cut would halve is whole when it is masked (no secret is this long). */
const MARGIN_BYTES = 64 * 1024;

/**
 * The patch from tree `from` to tree `to`, each secret masked (`scrub`), as bytes to write: whole
 * when it is at most `cap` bytes, else its whole lines up to the cap and a line saying how to
 * see the rest (the trees stay in the engine's git dir). It was read whole into one string: a
 * change over 512 MiB, the longest string V8 makes, ended the run with an engine error.
 * latin1 maps each byte to one character and back, so masking keeps every other byte; a
 * binary change holding a secret is left out (binary-patch.ts). Impure (git).
 */
export async function attemptedPatch(target: GitTarget, from: string, to: string, scrub: (text: string) => string, cap = PATCH_CAP_BYTES, secrets: readonly { name: string; value: Buffer }[] = []): Promise<{ bytes: Buffer; truncated: boolean }> {
  const { bytes, complete } = await gitHead(target, ['diff', ...WHOLE_DIFF, '--binary', '--no-color', '--no-ext-diff', '--no-textconv', from, to], cap + MARGIN_BYTES);
  // Binary changes searched in what they hold (`secrets`), then the text masked (`scrub`, given latin1).
  const masked = scrub(dropSecretBinaries(bytes.toString('latin1'), secrets));
  if (complete && Buffer.byteLength(masked, 'latin1') <= cap) return { bytes: Buffer.from(masked, 'latin1'), truncated: false };
  const kept = masked.slice(0, masked.lastIndexOf('\n', cap - 1) + 1);
  const note = `\n# engine: the patch is longer than ${cap} bytes and ends here, after its last whole line (it will not apply); the whole change: git --git-dir=${target.gitDir} diff --binary ${from} ${to}\n`;
  return { bytes: Buffer.from(kept + note, 'latin1'), truncated: true };
}
