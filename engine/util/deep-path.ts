/**
 * The longest path, in bytes, of a directory a walk by path names enters: any name in it (255
 * bytes at most) still makes a path the kernel takes whole (Linux's PATH_MAX, 4,096 bytes with
 * its NUL). A worker makes a deeper one in an instant (`mkdir d && cd d`, again and again);
 * neither a walk by path names nor git (which skips what it cannot open, silently) sees inside.
 */
export const DEEP_DIR_BYTES = 4096 - 1 - 255 - 1;

/** Whether a directory at this absolute path is too deep to enter by path names. Pure. */
export function tooDeepToEnter(dir: string): boolean {
  return Buffer.byteLength(dir) > DEEP_DIR_BYTES;
}
