import type { TimelineEvent } from '../generated/event.js';
import type { NewEvent } from '../store/timeline.js';

/** A step's result as the loop detector sees it (the step has not been recorded yet). */
export interface LoopProbe {
  step: string;
  milestone: number | null;
  attempt: number | null;
  /** The review step's verdict and changes, when the step is a review. */
  review: { verdict: string; changes: string[] } | null;
  /** The workspace tree the step left, when the step may write (null for read-only steps). */
  tree: string | null;
  /** The change request the step was answering (the last review's), for the memo. */
  pending: string[];
}

export type LoopFinding = Extract<NewEvent, { type: 'loop.detected' }>;

/**
 * A change request in a form where two requests that say the same thing are equal: each
 * item lower-cased, punctuation dropped, whitespace collapsed; empty items dropped; the list
 * sorted and without duplicates. Pure.
 */
export function normalizeRequest(changes: readonly string[]): string[] {
  const items = changes.map((c) => c.normalize('NFKC').toLowerCase().replace(/[\p{P}\p{S}]+/gu, ' ').replace(/\s+/g, ' ').trim()).filter(Boolean);
  return [...new Set(items)].sort();
}

type StepFinished = Extract<TimelineEvent, { type: 'step.finished' }>;

/**
 * The rounds a step is compared with: each step's `step.finished` events per milestone since
 * the last loop stop, kept up to date from the events appended since it last looked (a run's
 * timeline only grows). The detector scanned the whole timeline twice at every worker step,
 * a cost that grew with the run. A list that is not the one it saw, or is shorter, is read
 * again from its start. Pure apart from its own state.
 */
export class LoopRounds {
  private seen: readonly TimelineEvent[] | null = null;
  private count = 0;
  private rounds = new Map<string, StepFinished[]>();

  of(events: readonly TimelineEvent[], step: string, milestone: number): readonly StepFinished[] {
    if (events !== this.seen || events.length < this.count) {
      this.seen = events;
      this.count = 0;
      this.rounds.clear();
    }
    for (let i = this.count; i < events.length; i++) {
      const e = events[i]!;
      if (e.type === 'loop.detected') this.rounds.clear();
      else if (e.type === 'step.finished' && e.step !== null && e.milestone !== null) {
        const key = roundKey(e.step, e.milestone);
        const list = this.rounds.get(key);
        if (list) list.push(e);
        else this.rounds.set(key, [e]);
      }
    }
    this.count = events.length;
    return this.rounds.get(roundKey(step, milestone)) ?? [];
  }
}

/** The key of a step's rounds in one milestone. Pure. */
const roundKey = (step: string, milestone: number): string => `${milestone}\0${step}`;

/**
 * Whether a step repeats itself within its milestone: a review that asks for the same changes
 * as an earlier round of the same step (`same_request`), or a writing step that leaves the
 * workspace tree an earlier attempt of the same step left (`same_tree`). Only what happened
 * since the last loop stop counts, so a resumed run gets fresh rounds. `rounds`: kept by a
 * caller that asks at every step of one timeline (the default reads the events whole). Pure
 * apart from `rounds`.
 */
export function detectLoop(events: readonly TimelineEvent[], probe: LoopProbe, rounds: LoopRounds = new LoopRounds()): LoopFinding | null {
  if (probe.milestone === null) return null;
  const earlier = rounds.of(events, probe.step, probe.milestone);
  const fields = { step: probe.step, milestone: probe.milestone, attempt: probe.attempt };
  if (probe.review) {
    if (probe.review.verdict !== 'request_changes') return null;
    const key = JSON.stringify(normalizeRequest(probe.review.changes));
    for (const e of earlier) {
      const r = (e.patch as { review?: { verdict: string; changes: string[] } | null }).review;
      if (r && r.verdict === 'request_changes' && JSON.stringify(normalizeRequest(r.changes)) === key) {
        return { type: 'loop.detected', ...fields, kind: 'same_request', first_attempt: e.attempt ?? 1, request: probe.review.changes, tree: null };
      }
    }
    return null;
  }
  if (probe.tree === null) return null;
  const same = earlier.find((e) => e.tree === probe.tree);
  if (!same) return null;
  return { type: 'loop.detected', ...fields, kind: 'same_tree', first_attempt: same.attempt ?? 1, request: probe.pending, tree: probe.tree };
}

/** The stop's detail line for a loop. Pure. */
export function describeLoop(f: LoopFinding): string {
  if (f.kind === 'same_request') {
    return `step ${f.step} asked in attempt ${f.attempt} for the same changes as in attempt ${f.first_attempt} (milestone ${f.milestone}): ${quoteRequest(f.request)}`;
  }
  const answering = f.request.length ? `, answering ${quoteRequest(f.request)}` : '';
  return `step ${f.step} left in attempt ${f.attempt} the same workspace tree ${f.tree?.slice(0, 12)} as in attempt ${f.first_attempt} (milestone ${f.milestone})${answering}`;
}

/** A change request as quoted text. Pure. */
export function quoteRequest(changes: readonly string[]): string {
  if (!changes.length) return '(no changes listed)';
  return changes.map((c) => JSON.stringify(c.replace(/\s+/g, ' ').trim())).join('; ');
}

/** What the detector needs of a worker step's result. Pure. */
export function probeOf(step: { id: string; phase?: string; readOnly: boolean }, fields: { milestone: number | null; attempt: number | null }, result: { patch: { review?: { verdict: string; changes: string[] } | null }; tree?: string }, pendingReview: { verdict: string; changes: string[] } | null): LoopProbe {
  return {
    step: step.id,
    milestone: fields.milestone,
    attempt: fields.attempt,
    review: step.phase === 'review' ? (result.patch.review ?? null) : null,
    tree: step.readOnly ? null : (result.tree ?? null),
    pending: pendingReview?.verdict === 'request_changes' ? pendingReview.changes : [],
  };
}
