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
  /** Each sample's reader and how many events it took: a sample changes only when its count does. */
  private readonly readers = new Map<SampleKey, Sampler>();
  /** The same samplers by the event types they read. */
  private readonly byType = new Map<EventType, Sampler[]>();
  /** How many events have been added. */
  count = 0;
  /** How many of them a reader took: the samples change only when this does. */
  taken = 0;

  constructor() {
    for (const key of Object.keys(SAMPLES) as SampleKey[]) {
      const kind: SampleKind<unknown> = SAMPLES[key];
      const sampler: Sampler = { reader: kind.open(), taken: 0 };
      this.readers.set(key, sampler);
      for (const type of kind.events) this.byType.set(type, [...(this.byType.get(type) ?? []), sampler]);
    }
  }

  add(events: readonly TimelineEvent[], from = 0): void {
    for (let i = from; i < events.length; i++) {
      const samplers = this.byType.get(events[i]!.type);
      if (!samplers) continue;
      for (const sampler of samplers) {
        sampler.reader.add(events[i]!);
        sampler.taken++;
      }
      this.taken++;
    }
    this.count += Math.max(0, events.length - from);
  }

  /** How many events the samples `keys` took between them: it moves whenever one of them changes. */
  takenOf(keys: readonly SampleKey[]): number {
    let n = 0;
    // Indexed: asked for every field at each write of state.json, in code V8 seldom optimizes.
    for (let i = 0; i < keys.length; i++) n += this.readers.get(keys[i]!)!.taken;
    return n;
  }

  /** The samples so far: the readers' own values, which later `add`s change (a caller that keeps them copies them). */
  samples(): KpiSamples {
    return Object.fromEntries([...this.readers].map(([key, sampler]) => [key, sampler.reader.finish()])) as KpiSamples;
  }

  /** One sample so far: its reader's own value, as in `samples()`. */
  sampleOf<K extends SampleKey>(key: K): KpiSamples[K] {
    return this.readers.get(key)!.reader.finish() as KpiSamples[K];
  }
}

/** One sample's reader, and how many events it has taken. */
interface Sampler {
  reader: Reader;
  taken: number;
}

/**
 * Whether recorded samples (a line of the store's index) have every sample of the table; a
 * line written before a sample was added has not, and is made again from its run. Pure.
 */
export function hasEverySample(samples: object): boolean {
  return Object.keys(SAMPLES).every((key) => key in samples);
}
