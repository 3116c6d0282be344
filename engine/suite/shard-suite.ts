import { createHash } from 'node:crypto';
import path from 'node:path';

/** One shard of N: `K/N`, 1 ≤ K ≤ N. */
export interface Shard {
  index: number;
  count: number;
}

/** `--shard K/N` as a shard, or the reason it is not one. Pure. */
export function parseShard(text: string): Shard | { error: string } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return { error: `--shard takes K/N (e.g. 2/3), got "${text}"` };
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1000) return { error: `--shard ${text}: N must be between 1 and 1000` };
  if (index < 1 || index > count) return { error: `--shard ${text}: K must be between 1 and N` };
  return { index, count };
}

/**
 * A task's name for sharding: its file's path relative to the directory the suite runs in,
 * with `/` separators, so every machine that runs the same command from the same checkout
 * directory names it the same. Pure.
 */
export function shardPath(file: string, cwd: string): string {
  return path.relative(cwd, file).split(path.sep).join('/');
}

/**
 * Which shard runs repeat `repeat` of the task at `taskPath`: the first 8 hex digits of
 * sha256(`<taskPath>#<repeat>`), modulo N, plus 1. Depends on nothing but the task's path,
 * the repeat index and N: adding or removing other tasks (or repeats) moves no run to another
 * shard. Pure.
 */
export function shardOf(taskPath: string, repeat: number, count: number): number {
  const hash = createHash('sha256').update(`${taskPath}#${repeat}`).digest('hex');
  return (Number.parseInt(hash.slice(0, 8), 16) % count) + 1;
}

/** Whether a shard (or no sharding) runs this repeat of this task. Pure. */
export function inShard(shard: Shard | null, taskPath: string, repeat: number): boolean {
  return shard === null || shardOf(taskPath, repeat, shard.count) === shard.index;
}
