import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { isWithin } from '../util/is-within.js';
import { nearestExisting } from '../util/nearest-existing.js';
import type { SuiteTask } from './run-suite.js';

/** A folder the suite writes into while it copies a task's start_from, what it is and what the user can do. */
interface SuitePlace {
  what: string;
  dir: string;
  hint: string;
}

/**
 * An error (E_START_FROM) for each task whose start_from holds a folder the suite writes
 * into: copied into a scratch repo that lies inside it, cp refused (EINVAL) and the suite
 * ended with an internal error (exit 70), after it had made a scratch repo; a run store
 * inside it was copied, grown run by run, into each repeat's starting commit. Compared with
 * their links resolved (a TMPDIR named through a link is the folder it leads to). `scratchIn`:
 * where the scratch folder is made (the system's temp folder); `store`: a --store. Asked
 * before the store or a scratch folder is made. Impure (resolves links).
 */
export function checkStartFroms(tasks: readonly Pick<SuiteTask, 'file' | 'startFrom'>[], o: { scratchIn: string; store: string | null }): Diagnostic[] {
  const places: SuitePlace[] = [
    { what: 'scratch folder', dir: o.scratchIn, hint: 'set TMPDIR to a folder outside it, or name a start_from that holds only the seed project' },
    ...(o.store === null ? [] : [{ what: 'run store', dir: o.store, hint: 'name a --store outside it' }]),
  ];
  const real = places.map((p) => ({ ...p, dir: realOf(p.dir) }));
  const out: Diagnostic[] = [];
  for (const task of tasks) {
    if (task.startFrom === null) continue;
    const from = realOf(task.startFrom);
    const held = real.find((p) => isWithin(p.dir, from));
    if (!held) continue;
    const written = path.relative(path.dirname(task.file), task.startFrom) || '.';
    out.push({
      code: 'E_START_FROM',
      severity: 'error',
      message: `start_from \`${written}\` holds the suite's ${held.what} (it goes in ${held.dir}): its copy would go into a folder of itself`,
      file: task.file,
      line: 0,
      col: 0,
      pointer: '/start_from',
      hint: held.hint,
    });
  }
  return out;
}

/** `p` with the links of its nearest existing part resolved, the rest as written. Impure. */
function realOf(p: string): string {
  const there = nearestExisting(path.resolve(p));
  let real: string;
  try {
    real = realpathSync(there);
  } catch {
    return path.resolve(p);
  }
  return path.join(real, path.relative(there, path.resolve(p)));
}
