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
  const c = new SampleCollector();
  c.add(events);
  return c.samples();
}

/**
 * The samples of a timeline that grows: `add` takes the events appended since the last call
 * (`from`: the first new index), so a run's KPIs after each step cost that step's events,
 * not the whole history again. `samples()` is what `collectSamples` gives for every event
 * added so far. Pure.
 */
export class SampleCollector {
  private readonly readers = new Map<SampleKey, Reader>();
  private readonly byType = new Map<EventType, { key: SampleKey; reader: Reader }[]>();
  /** How many events each sample took: a sample changes only when its count does. */
  private readonly takenBy = new Map<SampleKey, number>();
  /** How many events have been added. */
  count = 0;
  /** How many of them a reader took: the samples change only when this does. */
  taken = 0;

  constructor() {
    for (const key of Object.keys(SAMPLES) as SampleKey[]) {
      const kind: SampleKind<unknown> = SAMPLES[key];
      const reader = kind.open();
      this.readers.set(key, reader);
      this.takenBy.set(key, 0);
      for (const type of kind.events) this.byType.set(type, [...(this.byType.get(type) ?? []), { key, reader }]);
    }
  }

  add(events: readonly TimelineEvent[], from = 0): void {
    for (let i = from; i < events.length; i++) {
      const readers = this.byType.get(events[i]!.type);
      if (!readers) continue;
      for (const { key, reader } of readers) {
        reader.add(events[i]!);
        this.takenBy.set(key, this.takenBy.get(key)! + 1);
      }
      this.taken++;
    }
    this.count += Math.max(0, events.length - from);
  }

  /** How many events the samples `keys` took between them: it moves whenever one of them changes. */
  takenOf(keys: readonly SampleKey[]): number {
    let n = 0;
    // Indexed: asked for every field at each write of state.json, in code V8 seldom optimizes.
    for (let i = 0; i < keys.length; i++) n += this.takenBy.get(keys[i]!)!;
    return n;
  }

  /** The samples so far: the readers' own values, which later `add`s change (a caller that keeps them copies them). */
  samples(): KpiSamples {
    return Object.fromEntries([...this.readers].map(([key, reader]) => [key, reader.finish()])) as KpiSamples;
  }

  /** One sample so far: its reader's own value, as in `samples()`. */
  sampleOf<K extends SampleKey>(key: K): KpiSamples[K] {
    return this.readers.get(key)!.finish() as KpiSamples[K];
  }
}

/**
 * Whether recorded samples (a line of the store's index) have every sample of the table; a
 * line written before a sample was added has not, and is made again from its run. Pure.
 */
export function hasEverySample(samples: object): boolean {
  return Object.keys(SAMPLES).every((key) => key in samples);
}
