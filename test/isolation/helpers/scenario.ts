/**
 * One hostile scenario, run through the real CLI once per sandbox mode, with the assertions
 * every scenario shares: the user's repo exactly as before, no planted command ran, the run
 * branch clean, the exit code and stop reason as the contract says.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { killByEnv } from '../../helpers/kill-by-env.js';
import { makeIsoFixture, modes, readState, runRun, type EngineResult, type IsoFixture, type IsoSpec, type Mode } from './fixture.js';
import { assertRepoUnchanged, snapshotRepo, type Item, type RepoSnapshot } from './snapshot.js';
import { assertBranchClean, type BranchEntry } from './branch.js';

export interface Expect {
  codes: number[];
  reasons: string[];
}

export const COMPLETED: Expect = { codes: [0], reasons: ['completed'] };
export const VIOLATION: Expect = { codes: [3], reasons: ['governance_violation'] };
/** The contract lets the engine either ignore an inert act or call it a violation. */
export const INERT_OR_VIOLATION: Expect = { codes: [0, 3], reasons: ['completed', 'governance_violation'] };

export interface Ctx {
  f: IsoFixture;
  id: string;
  mode: Mode;
  run: EngineResult;
  before: RepoSnapshot;
}

export interface Scenario {
  /** Also the run id's stem. */
  name: string;
  /** What the hostile agent does. */
  spec: IsoSpec;
  roots?: string[];
  repoPolicy?: Record<string, unknown>;
  files?: Record<string, string>;
  explore?: boolean;
  /** Paths that must not be on the run branch. */
  forbidden?: string[];
  expect: Expect | ((mode: Mode) => Expect);
  /** What a worker without a sandbox can change by absolute path (then the detection is asserted). */
  tolerate?: (mode: Mode) => { items?: Item[]; treePaths?: string[] };
  /** Another copy of the engine (made fresh per mode). */
  engineDir?: () => string;
  /** Only these sandbox modes (default both): for an attack whose mechanism the sandbox does not touch, and that costs much to run. */
  only?: Mode[];
  /** The engine's own environment beside the fixture's (the user's PATH, say), given the fixture. */
  env?: (f: IsoFixture) => NodeJS.ProcessEnv;
  /** More steps (a resume) and assertions, after the run and before the shared checks. */
  afterRun?: (t: Test, ctx: Ctx) => void;
  /** Assertions on the branch entries. */
  onBranch?: (t: Test, entries: BranchEntry[], ctx: Ctx) => void;
}

export function expectFor(s: Scenario, mode: Mode): Expect {
  return typeof s.expect === 'function' ? s.expect(mode) : s.expect;
}

/** Check an engine result against an expectation and the run's state.json. */
export function assertOutcome(t: Test, f: IsoFixture, id: string, r: EngineResult, e: Expect, what = 'the run'): void {
  const tail = `\n--- stderr (tail) ---\n${r.stderr.slice(-1500)}`;
  t.not(r.code, 70, `${what} is no engine bug (exit 70)${tail}`);
  t.ok(r.code !== null && e.codes.includes(r.code), `${what} exits ${e.codes.join(' or ')} (got ${r.code ?? r.signal})${tail}`);
  const state = readState(f, id);
  t.ok(state, `${what}: state.json exists`);
  if (!state) return;
  t.ok(e.reasons.includes(state.stop_reason), `${what} stops with ${e.reasons.join(' or ')} (got ${state.stop_reason})`);
  t.equal(state.status === 'completed', state.stop_reason === 'completed', 'status completed iff stop reason completed');
}

/** The planted-command log: absent or empty, read before any git command of the test. */
export function plantedLog(f: IsoFixture): string {
  return existsSync(f.log) ? readFileSync(f.log, 'utf8') : '';
}

export function runScenario(t: Test, s: Scenario): void {
  for (const { mode, skip } of modes().filter((m) => !s.only || s.only.includes(m.mode))) {
    t.test(`sandbox.mode=${mode}`, { skip }, async (t) => {
      const engineDir = s.engineDir?.();
      const id = `${s.name}-${mode}`;
      const f = makeIsoFixture({ spec: s.spec, repoPolicy: { ...(s.roots ? { governance: { allowed_roots: s.roots } } : {}), ...s.repoPolicy }, files: s.files, engineDir, explore: s.explore, runId: id });
      if (s.env) f.env = { ...f.env, ...s.env(f) };
      t.teardown(() => {
        // Without a sandbox what the attack left behind outlives the run (docs/governance.md).
        killByEnv(`ISO_SCRATCH=${f.scratch}`);
        if (process.env.ISO_KEEP) return;
        // Processes a worker left behind may still be writing: retry.
        rmSync(f.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
        if (engineDir) rmSync(engineDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      });
      const before = snapshotRepo(f.repo);
      const run = runRun(f, id, mode);
      const ctx: Ctx = { f, id, mode, run, before };
      if (s.afterRun) s.afterRun(t, ctx);
      else assertOutcome(t, f, id, run, expectFor(s, mode));
      t.equal(plantedLog(f), '', 'no command the worker planted ran');
      if (Object.values(s.spec.calls ?? {}).some((c) => c.sh)) {
        const attacks = path.join(f.scratch, 'attacks.log');
        t.ok(existsSync(attacks) && readFileSync(attacks, 'utf8').trim(), `the attack ran (${existsSync(attacks) ? readFileSync(attacks, 'utf8').trim().replace(/\n/g, '; ') : 'never'})`);
      }
      assertRepoUnchanged(t, before, snapshotRepo(f.repo), s.tolerate?.(mode) ?? {});
      const entries = assertBranchClean(t, f.repo, id, f.base, s.roots ?? ['src/**'], s.forbidden);
      s.onBranch?.(t, entries, ctx);
    });
  }
}

/** Every violation a run's timeline reports, in order. */
export function violationsOf(repo: string, id: string): { path: string; rule: string; pattern: string | null }[] {
  const timeline = readFileSync(path.join(repo, '.engine', 'runs', id, 'timeline.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return timeline.filter((e) => e.type === 'governance.violation').flatMap((e) => e.violations);
}
