import type { TimelineEvent } from '../generated/event.js';
import { SAMPLES, type KpiSamples, type SampleKey } from './definitions.js';
import type { EventType, SampleKind } from './sample-kinds.js';

export type { KpiSamples } from './definitions.js';

type Reader = ReturnType<SampleKind<unknown>['open']>;

/**
 * The KPI samples of one run's timeline (contract §8), as the SAMPLES table defines them:
 * each event goes to the samples that read its type. The table names event types of the
 * schema (schemas/event.schema.json), so a KPI cannot silently read an event nobody emits. Pure.
 */
export function collectSamples(events: readonly TimelineEvent[]): KpiSamples {
  const readers = new Map<SampleKey, Reader>();
  const byType = new Map<EventType, Reader[]>();
  for (const key of Object.keys(SAMPLES) as SampleKey[]) {
    const kind: SampleKind<unknown> = SAMPLES[key];
    const reader = kind.open();
    readers.set(key, reader);
    for (const type of kind.events) byType.set(type, [...(byType.get(type) ?? []), reader]);
  }
  for (const e of events) for (const reader of byType.get(e.type) ?? []) reader.add(e);
  return Object.fromEntries([...readers].map(([key, reader]) => [key, reader.finish()])) as KpiSamples;
}

/**
 * Whether recorded samples (a line of the store's index) have every sample of the table; a
 * line written before a sample was added has not, and is made again from its run. Pure.
 */
export function hasEverySample(samples: object): boolean {
  return Object.keys(SAMPLES).every((key) => key in samples);
}
