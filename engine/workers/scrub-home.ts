/**
 * A worker CLI writes its own files into its private home (codex's shell snapshots and
 * session rollouts, claude's projects and history): the engine's redaction never sees them.
 * After each call the home is searched for the values of the engine's secrets; a hit is
 * replaced in place (the redaction mark in a text file, the same number of `*` in a binary
 * one, so a database keeps its layout) and reported by file and variable name, never by
 * value. Impure (reads and rewrites files).
 */
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { redactionMark, type Secret } from './redact.js';
import { compareText } from '../util/compare-text.js';

export interface HomeScrubHit {
  /** Path relative to the home. */
  file: string;
  /** Names of the variables whose values were found there. */
  names: string[];
}

export interface ScrubHomeOptions {
  /** Only files whose status changed at or after this time (ms since the epoch); 0 for all. */
  changedSinceMs?: number;
}

/** Searches every regular file under `home` (symlinks are not followed) and scrubs the hits. */
export function scrubHome(home: string, secrets: readonly Secret[], options: ScrubHomeOptions = {}): HomeScrubHit[] {
  if (secrets.length === 0) return [];
  const hits: HomeScrubHit[] = [];
  const since = options.changedSinceMs ?? 0;
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      let st;
      try {
        st = lstatSync(file);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(file);
      else if (st.isFile() && st.size > 0 && Math.max(st.ctimeMs, st.mtimeMs) >= since) {
        const found = scrubFile(file, secrets);
        if (found.length) hits.push({ file: path.relative(home, file), names: found });
      }
    }
  };
  walk(home);
  return hits.sort((a, b) => compareText(a.file, b.file));
}

/** Replaces every secret in one file; returns the names found. */
function scrubFile(file: string, secrets: readonly Secret[]): string[] {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return [];
  }
  const found = secrets.filter((s) => data.includes(s.value));
  if (found.length === 0) return [];
  const binary = data.subarray(0, 8192).includes(0);
  let out = data;
  for (const s of found) {
    const mark = binary ? Buffer.alloc(s.value.length, '*') : Buffer.from(redactionMark(s.name));
    out = replaceAll(out, s.value, mark);
  }
  writeFileSync(file, out);
  return [...new Set(found.map((s) => s.name))];
}

function replaceAll(data: Buffer, value: Buffer, mark: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = data.indexOf(value); at !== -1; at = data.indexOf(value, from)) {
    parts.push(data.subarray(from, at), mark);
    from = at + value.length;
  }
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}
