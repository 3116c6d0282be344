import { readdirSync } from 'node:fs';
import { workspaceHomesOf } from '../git/workspace.js';
import path from 'node:path';
import { collectSecrets } from '../workers/redact.js';
import { scrubHome } from '../workers/scrub-home.js';
import { isOwnDirectory } from '../util/is-own-directory.js';
import { scrubbedWarning } from './steps/call-worker.js';
import type { Runtime } from './types.js';

/**
 * Every worker home of the run searched whole for the values of the engine's secrets, each
 * hit scrubbed and recorded as a `secret_scrubbed` warning. Resume calls it: a killed engine
 * never scanned what its last worker (or a process it left behind) wrote. Impure.
 */
export function scrubWorkerHomes(rt: Runtime): number {
  const secrets = collectSecrets(rt.policy.transcripts.redact, [rt.childEnv]);
  const homes = workspaceHomesOf(rt.ws.dir);
  // The homes folder itself, as each home (scrubHome), only when it is no link: without the OS
  // sandbox a worker can make it one, to the user's home say, whose files are not the worker's.
  if (!isOwnDirectory(homes)) return 0;
  let names: string[];
  try {
    names = readdirSync(homes);
  } catch {
    return 0;
  }
  let count = 0;
  for (const name of names.sort()) {
    const home = path.join(homes, name);
    for (const h of scrubHome(home, secrets)) {
      rt.append(scrubbedWarning({ step: null, milestone: null, attempt: null }, name, h));
      count++;
    }
  }
  return count;
}
