import type { TimelineEvent } from '../generated/event.js';
import type { Kpis } from '../generated/state.js';
import { collectSamples, SampleCollector, type KpiSamples } from './collect-samples.js';
import { mergeSamples } from './merge-samples.js';
import { KPI_FIELDS, summarizeSamples } from './summarize-samples.js';

/**
 * A run's KPIs from its timeline alone (contract §8): collect the samples, summarize them.
 * state.json, run.finished and summary.md carry this. Pure.
 */
export function computeKpis(events: readonly TimelineEvent[]): Kpis {
  return summarizeSamples(collectSamples(events));
}

/**
 * KPIs across several runs, from each run's timeline: the samples pooled, so medians and
 * percentiles are over every milestone of every run, counts are sums and rates come from
 * the summed counts (never an average of per-run rates). Pure.
 */
export function computePooledKpis(timelines: readonly (readonly TimelineEvent[])[]): Kpis {
  return summarizeSamples(mergeSamples(timelines.map(collectSamples)));
}

/**
 * A run's KPIs kept up to date as its timeline grows: each call reads only the events added
 * since the last one (the runtime asks after every step; reading the whole history each time
 * would make a step's cost grow with the run). Given another array, or a shorter one, it
 * starts over. Same result as `computeKpis(events)`. Pure.
 */
export class RunningKpis {
  private collector = new SampleCollector();
  private seen: readonly TimelineEvent[] | null = null;
  /** The last summary and the collector's `taken` it was made at: kept while no sample changed. */
  private last: { taken: number; kpis: Kpis } | null = null;
  /** For each field of the last summary, how many events its samples had taken (`takenOf` its `from`). */
  private stamps = new Map<keyof Kpis, number>();

  of(events: readonly TimelineEvent[]): Kpis {
    if (events !== this.seen || events.length < this.collector.count) {
      this.collector = new SampleCollector();
      this.seen = events;
      this.last = null;
      this.stamps.clear();
    }
    this.collector.add(events, this.collector.count);
    if (this.last?.taken === this.collector.taken) return this.last.kpis;
    // A step's events change a few samples: the fields that read none of them are the last
    // summary's (every step re-sorted each distribution, a cost that grew with the run). The
    // KPIs share nothing with the live samples (MEASURES), so no copy of them is needed.
    const kpis: Record<string, unknown> = {};
    const samples: Partial<KpiSamples> = {};
    // Indexed loops: this runs at each write of state.json, in code V8 seldom optimizes, where
    // an iterator is an object made and dropped.
    for (let i = 0; i < KPI_FIELDS.length; i++) {
      const [key, m] = KPI_FIELDS[i]!;
      const stamp = this.collector.takenOf(m.from);
      if (this.last && this.stamps.get(key) === stamp) {
        kpis[key] = this.last.kpis[key];
        continue;
      }
      for (let j = 0; j < m.from.length; j++) {
        const from = m.from[j]!;
        if (!(from in samples)) (samples as Record<string, unknown>)[from] = this.collector.sampleOf(from);
      }
      kpis[key] = m.of(samples as KpiSamples);
      this.stamps.set(key, stamp);
    }
    this.last = { taken: this.collector.taken, kpis: kpis as unknown as Kpis };
    return this.last.kpis;
  }
}
