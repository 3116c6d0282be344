import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';

/**
 * A record the engine keeps in the run store (timeline.jsonl, state.json, env.json) with the
 * content the engine last wrote, so a change by anybody else — a worker that reaches the run
 * directory from its worktree — is found after each call and undone.
 */
export interface RunRecord {
  file: string;
  /** Path in the run directory (`timeline.jsonl`). */
  name: string;
  /** What the file must hold, or null while the engine has not written it yet. */
  expected(): string | null;
  /** Write back what the engine wrote. Impure. */
  restore(): void;
}

/** A record written whole (atomically) by the engine. */
export function fileRecord(file: string, name: string, content: () => string | null): RunRecord {
  return {
    file,
    name,
    expected: content,
    restore() {
      const c = content();
      if (c !== null) writeFileAtomic(file, c);
    },
  };
}

/** The records whose file no longer holds what the engine wrote (a missing file included). Impure. */
export function tamperedRecords(records: readonly RunRecord[]): RunRecord[] {
  return records.filter((r) => {
    const want = r.expected();
    if (want === null) return false;
    try {
      return readFileSync(r.file, 'utf8') !== want;
    } catch {
      return true;
    }
  });
}
