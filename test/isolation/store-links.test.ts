// test cost: about 6 s: one hostile scenario, a whole run in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { assertOutcome, runScenario, INERT_OR_VIOLATION } from './helpers/scenario.js';

// Contract §5: the run store is written only by the engine. Without the OS sandbox a worker
// can write there too, and the engine's own files in it have names anyone can guess: the
// store's index, the next call's transcripts, a verification log's temp file. A link planted
// at such a name must be replaced, never written through (here to a file of the worker's, as
// it could be to one of the user's: a shell's startup file).
t.test('links planted in the run store at the names the engine writes next', async (t) => {
  const sh = [
    'printf "victim\\n" > "$ISO_SCRATCH/victim.txt"',
    's="$ISO_REPO/.engine/runs"',
    'ln -s "$ISO_SCRATCH/victim.txt" "$s/index.jsonl"',
    'for c in 0003-review-reviewer 0004-review-reviewer 0003-implement-implementer 0004-implement-implementer; do mkdir -p "$s/$ISO_RUN_ID/calls/$c" && for f in stdout.log events.jsonl stderr.log; do ln -s "$ISO_SCRATCH/victim.txt" "$s/$ISO_RUN_ID/calls/$c/$f"; done; done',
    // A verification log's temp name ends with the engine's pid: the first node above the worker.
    'e=$PPID; while [ "$e" -gt 1 ] && [ "$(cat /proc/$e/comm)" != node ]; do e=$(cut -d" " -f4 /proc/$e/stat); done',
    'mkdir -p "$s/$ISO_RUN_ID/verify" && for n in 0001 0002 0003 0004; do for tier in tier0 tier1 tier2; do ln -s "$ISO_SCRATCH/victim.txt" "$s/$ISO_RUN_ID/verify/$n-$tier.log.partial-$e"; done; done',
  ].join('; ');
  runScenario(t, {
    name: 'storelinks',
    spec: { calls: { implement: { sh } } },
    expect: INERT_OR_VIOLATION,
    afterRun: (t, { f, id, run }) => {
      assertOutcome(t, f, id, run, INERT_OR_VIOLATION);
      const victim = path.join(f.scratch, 'victim.txt');
      // Under bubblewrap the store is read-only: no link lands (the victim may not be written either).
      if (existsSync(victim)) t.equal(readFileSync(victim, 'utf8'), 'victim\n', 'nothing was written through a planted link');
    },
  });
});
