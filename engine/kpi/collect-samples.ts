import type { TimelineEvent } from '../generated/event.js';

/**
 * The raw material of the KPIs of one or more runs: every measured value kept (so medians
 * and percentiles can be taken over several runs), every count a plain sum. Milliseconds
 * and dollars are kept unrounded; `summarizeSamples` rounds once at the end.
 */
export interface KpiSamples {
  /** Milestones planned (the last `plan.accepted` of each run). */
  milestones: number;
  milestones_done: number;
  milestones_started: number;
  /** `milestone.finished.duration_ms`, one per finished milestone. */
  milestone_ms: number[];
  /** Worker calls of each started milestone, in milestone order. */
  calls_per_milestone: number[];
  /** Durations of verification runs that were not skipped, by tier. */
  verify_ms: Record<string, number[]>;
  worker_calls: number;
  parse_failures: number;
  retried_milestones: number;
  human_interventions: number;
  governance_violations: number;
  /** Files in worker homes where a secret's value was scrubbed (`warning` code secret_scrubbed). */
  secrets_scrubbed: number;
  diff_files: number;
  diff_loc: number;
  review_skips: Record<string, number>;
  /** Sum of the cost workers reported, or null when none did. */
  cost_usd: number | null;
  /** Wall time of the steps (`step.finished` and `step.stopped`). */
  total_ms: number;
  tokens: { input: number; output: number };
}

/**
 * The KPI samples of one run's timeline (contract §8). It reads the same event types the
 * runtime writes (generated from schemas/event.schema.json), so a KPI cannot silently read
 * an event nobody emits. Pure.
 */
export function collectSamples(events: readonly TimelineEvent[]): KpiSamples {
  const c = new SampleCollector();
  c.add(events);
  return c.samples();
}

/**
 * The samples of a timeline that grows: `add` takes the events appended since the last call,
 * so a run's KPIs after each step cost the step's events, not the whole history again.
 * `samples()` is what `collectSamples` gives for every event added so far. Pure.
 */
export class SampleCollector {
  private readonly milestoneMs: number[] = [];
  private readonly callsByMilestone = new Map<number, number>();
  private readonly verifyMs = new Map<string, number[]>();
  private readonly retried = new Set<number>();
  private readonly started = new Set<number>();
  private readonly reviewSkips: Record<string, number> = {};
  private milestones = 0;
  private done = 0;
  private calls = 0;
  private parseFailures = 0;
  private interventions = 0;
  private governance = 0;
  private scrubbed = 0;
  private diffFiles = 0;
  private diffLoc = 0;
  private cost: number | null = null;
  private totalMs = 0;
  private readonly tokens = { input: 0, output: 0 };
  /** How many events have been added. */
  count = 0;

  add(events: readonly TimelineEvent[], from = 0): void {
    for (let i = from; i < events.length; i++) this.addOne(events[i]!);
    this.count += Math.max(0, events.length - from);
  }

  private addOne(e: TimelineEvent): void {
    switch (e.type) {
      case 'plan.accepted':
        this.milestones = e.milestones.length;
        break;
      case 'milestone.started':
        if (e.milestone !== null) this.started.add(e.milestone);
        break;
      case 'milestone.finished':
        this.milestoneMs.push(e.duration_ms);
        this.done++;
        break;
      case 'step.started':
        if (e.milestone !== null && (e.attempt ?? 1) > 1) this.retried.add(e.milestone);
        break;
      case 'step.finished':
      case 'step.stopped':
        this.totalMs += e.duration_ms;
        break;
      case 'worker.finished':
        this.calls++;
        if (e.milestone !== null) this.callsByMilestone.set(e.milestone, (this.callsByMilestone.get(e.milestone) ?? 0) + 1);
        if (e.cost_usd !== null) this.cost = (this.cost ?? 0) + e.cost_usd;
        if (e.usage) {
          this.tokens.input += e.usage.input_tokens ?? 0;
          this.tokens.output += e.usage.output_tokens ?? 0;
        }
        break;
      case 'parse.failed':
        this.parseFailures++;
        if (e.milestone !== null) this.retried.add(e.milestone);
        break;
      case 'verify.finished':
        if (!e.skipped) this.pushVerify(e.tier, e.duration_ms);
        break;
      case 'workspace.setup':
        // The set-up's own time, a KPI beside the tiers (verify_s.setup).
        this.pushVerify('setup', e.duration_ms);
        break;
      case 'review.skipped':
        this.reviewSkips[e.review_skipped_reason] = (this.reviewSkips[e.review_skipped_reason] ?? 0) + 1;
        break;
      case 'checkpoint.created':
        this.diffFiles += e.files;
        this.diffLoc += e.added + e.removed;
        break;
      case 'run.resumed':
        // A forced resume over hand edits is one intervention, not two.
        if (e.forced || e.hand_edits.length || e.config_reloaded) this.interventions++;
        break;
      case 'governance.violation':
        this.governance++;
        break;
      case 'warning':
        if (e.code === 'secret_scrubbed') this.scrubbed++;
        break;
    }
  }

  private pushVerify(tier: string, ms: number): void {
    const list = this.verifyMs.get(tier);
    if (list) list.push(ms);
    else this.verifyMs.set(tier, [ms]);
  }

  /** The samples so far; copies, so later `add`s do not change them. */
  samples(): KpiSamples {
    const milestoneOrder = [...this.started].sort((a, b) => a - b);
    return {
      milestones: this.milestones,
      milestones_done: this.done,
      milestones_started: this.started.size,
      milestone_ms: [...this.milestoneMs],
      calls_per_milestone: milestoneOrder.map((m) => this.callsByMilestone.get(m) ?? 0),
      verify_ms: Object.fromEntries([...this.verifyMs].map(([k, v]) => [k, [...v]])),
      worker_calls: this.calls,
      parse_failures: this.parseFailures,
      retried_milestones: this.retried.size,
      human_interventions: this.interventions,
      governance_violations: this.governance,
      secrets_scrubbed: this.scrubbed,
      diff_files: this.diffFiles,
      diff_loc: this.diffLoc,
      review_skips: { ...this.reviewSkips },
      cost_usd: this.cost,
      total_ms: this.totalMs,
      tokens: { ...this.tokens },
    };
  }
}
