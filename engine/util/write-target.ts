import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The file a write the user names `file` should replace: the file a link there leads to (the
 * link kept: written at the link's name, the new file replaced the link and the file it shared
 * was left as it was), or `file`, its folder's links resolved, when nothing is there; `why` for
 * a link that leads nowhere (made where it leads, a file would appear in a folder the user
 * never named), a directory, a FIFO, a device or a socket (renamed over, as root `--html
 * /dev/full` replaced the device; read first, `--baseline /dev/zero` never ended). `report --html` and `--baseline`
 * resolve their file here. Impure (stats, reads links).
 */
export function resolveWriteTarget(file: string): { target: string } | { why: string } {
  const own = lstatSync(file, { throwIfNoEntry: false });
  if (own === undefined) return { target: inRealFolder(file) };
  const st = statSync(file, { throwIfNoEntry: false });
  if (st === undefined) return { why: `it is a link to nothing (${readlinkSync(file)}): name a file of its own or make the file it leads to` };
  if (st.isDirectory()) return { why: 'it is a directory' };
  if (!st.isFile()) return { why: `it is ${st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device'}, not a regular file (name a file of its own)` };
  return { target: realpathSync(file) };
}

/** `file` with its folder's links resolved (as it is when the folder cannot be). Impure. */
function inRealFolder(file: string): string {
  try {
    return path.join(realpathSync(path.dirname(file)), path.basename(file));
  } catch {
    return file;
  }
}
