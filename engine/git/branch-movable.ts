import { accessSync, constants, lstatSync } from 'node:fs';
import path from 'node:path';
import { nearestExisting } from '../util/nearest-existing.js';

/**
 * Throws the system's refusal (EACCES or EPERM of `access`, naming the place) when git could
 * not move `branch` in the repository whose common dir is `commonDir`: a mode, another owner
 * after a `sudo git`, or `chattr +i` (which refuses root too) on the deepest folder there on
 * the way to its ref and to its reflog (git makes its lock there and renames it over the ref,
 * and makes any missing folder), or on the reflog, which git appends to, where it is there.
 * Not the ref file: git never writes it in place, so one a `sudo git` left root's is moved all
 * the same. What git itself would refuse is all this looks at (test/git/branch-movable.test.ts
 * asks both): a link is followed, and one that leads nowhere is git's to refuse (at the
 * checkpoint, a governance stop), not a refused permission. Impure (reads the file system).
 */
export function assertBranchMovable(commonDir: string, branch: string): void {
  for (const top of ['refs', 'logs/refs']) {
    const file = path.join(commonDir, top, 'heads', ...branch.split('/'));
    accessSync(nearestExisting(path.dirname(file)), constants.W_OK);
    if (top === 'logs/refs' && lstatSync(file, { throwIfNoEntry: false })?.isFile()) accessSync(file, constants.W_OK);
  }
}
