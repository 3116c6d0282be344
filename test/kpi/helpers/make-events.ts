import type { TimelineEvent } from '../../../engine/generated/event.js';

type Base = 'seq' | 'ts' | 'step' | 'milestone' | 'attempt';
type Fields<T extends TimelineEvent['type']> = Omit<Extract<TimelineEvent, { type: T }>, Base | 'type'> & Partial<Pick<TimelineEvent, 'step' | 'milestone' | 'attempt'>>;

/** A milestone as a test describes it: what the runtime would record for it. */
export interface MilestoneSpec {
  id: string;
  goal?: string;
  /** milestone.finished duration; omit for a milestone that never finished. */
  ms?: number;
  /** Worker calls (one worker.started/finished pair each). */
  calls: number;
  /** Verification runs (tier, ms, pass?, skipped?). */
  verify?: { tier: string; ms: number; pass?: boolean; skipped?: boolean }[];
  /** Highest attempt of the implement step. */
  attempts?: number;
  parseFailures?: number;
  reviewSkipped?: string;
  checkpoint?: { files: number; added: number; removed: number };
  cost?: number;
}

/**
 * Builds timelines event by event, numbering seq 1..n, with the step, milestone and attempt
 * fields the runtime writes. Shared by the KPI and report tests.
 */
export class TimelineBuilder {
  readonly events: TimelineEvent[] = [];

  add<T extends TimelineEvent['type']>(type: T, fields: Fields<T>): this {
    const seq = this.events.length + 1;
    this.events.push({ step: null, milestone: null, attempt: null, ...fields, type, seq, ts: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString() } as unknown as TimelineEvent);
    return this;
  }

  plan(milestones: { id: string; goal: string }[]): this {
    return this.add('plan.accepted', { step: 'plan', attempt: 1, milestones: milestones.map((m) => ({ ...m, files_expected: [] })) });
  }

  /** The events of milestone `index` (1-based) as the default pipeline records them. */
  milestone(index: number, m: MilestoneSpec): this {
    const at = { milestone: index };
    this.add('milestone.started', { ...at, step: 'next_milestone', id: m.id, goal: m.goal ?? m.id });
    for (let a = 1; a <= (m.attempts ?? 1); a++) this.add('step.started', { ...at, step: 'implement', attempt: a, kind: 'worker' });
    for (let c = 0; c < m.calls; c++) {
      this.add('worker.started', { ...at, step: 'implement', attempt: 1, worker: 'implementer', plugin: 'codex', phase: 'implement', call: `calls/${index}-${c}` });
      this.add('worker.finished', {
        ...at,
        step: 'implement',
        attempt: 1,
        worker: 'implementer',
        call: `calls/${index}-${c}`,
        outcome: 'ok',
        exit_code: 0,
        timed_out: false,
        duration_ms: 10,
        usage: { input_tokens: 100, output_tokens: 10 },
        cost_usd: c === 0 && m.cost !== undefined ? m.cost : null,
        markers_ok: true,
        error: null,
      });
    }
    for (let p = 0; p < (m.parseFailures ?? 0); p++) this.add('parse.failed', { ...at, step: 'implement', attempt: 1, call: `calls/${index}-p${p}`, error: 'no markers', retries_left: 0 });
    for (const v of m.verify ?? []) {
      this.add('verify.finished', { ...at, step: 'verify', attempt: 1, tier: v.tier, pass: v.pass ?? true, skipped: v.skipped ?? false, duration_ms: v.ms, log: 'verify/x.log', commands: [] });
    }
    if (m.reviewSkipped) this.add('review.skipped', { ...at, step: 'approval', attempt: 1, review_skipped_reason: m.reviewSkipped });
    if (m.checkpoint) this.add('checkpoint.created', { ...at, step: 'checkpoint', attempt: 1, sha: `${index}`.repeat(40), tree: 't'.repeat(40), ...m.checkpoint });
    if (m.ms !== undefined) this.add('milestone.finished', { ...at, step: 'next_milestone', attempt: 1, id: m.id, duration_ms: m.ms, worker_calls: m.calls });
    return this;
  }

  step(ms: number, milestone: number | null = null): this {
    return this.add('step.finished', { step: 'x', milestone, attempt: 1, kind: 'worker', outcome: 'done', next: 'y', duration_ms: ms, patch: {}, tree: null });
  }
}

export const timeline = () => new TimelineBuilder();
