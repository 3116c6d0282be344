import type { TimelineEvent } from '../generated/event.js';
import type { Kpis } from '../generated/state.js';
import { collectSamples } from './collect-samples.js';
import { mergeSamples } from './merge-samples.js';
import { summarizeSamples } from './summarize-samples.js';

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
