import type { TimelineEvent } from '../generated/event.js';
import { pushAll } from '../util/many.js';

export type EventType = TimelineEvent['type'];
export type EventOf<T extends EventType> = Extract<TimelineEvent, { type: T }>;

/**
 * One raw sample of a run's KPIs: the timeline events it reads, how it accumulates them over
 * one timeline, and how the values of several runs pool. `collectSamples` hands each event
 * only to the samples that name its type.
 */
export interface SampleKind<V> {
  readonly events: readonly EventType[];
  /** A fresh reader of one timeline: `add` each of its events of `events`, then `finish`. */
  open(): { add(e: TimelineEvent): void; finish(): V };
  /** The values of several runs as one pool (run order kept). */
  merge(values: readonly V[]): V;
}

const sum = (values: readonly number[]): number => values.reduce((total, n) => total + n, 0);

/**
 * A sample built from a reader over typed events: the one place an event is narrowed to the
 * types the sample names (the dispatch in `collectSamples` guarantees it). Pure.
 */
export function sample<T extends EventType, V>(events: readonly T[], open: () => { add(e: EventOf<T>): void; finish(): V }, merge: (values: readonly V[]) => V): SampleKind<V> {
  return { events, open: open as SampleKind<V>['open'], merge };
}

/** How many events of the types (that pass `when`); runs pool by sum. Pure. */
export function count<T extends EventType>(events: readonly T[], when: (e: EventOf<T>) => boolean = () => true): SampleKind<number> {
  return total(events, (e) => (when(e) ? 1 : 0));
}

/** The sum of a number of each event; runs pool by sum. Pure. */
export function total<T extends EventType>(events: readonly T[], pick: (e: EventOf<T>) => number): SampleKind<number> {
  return sample(events, () => {
    let n = 0;
    return { add: (e) => void (n += pick(e)), finish: () => n };
  }, sum);
}

/** A number of the last such event (0 before any); runs pool by sum. Pure. */
export function last<T extends EventType>(events: readonly T[], pick: (e: EventOf<T>) => number): SampleKind<number> {
  return sample(events, () => {
    let n = 0;
    return { add: (e) => void (n = pick(e)), finish: () => n };
  }, sum);
}

/** A sum that stays null until an event carries a number (a cost nobody reported is not $0). Pure. */
export function optionalTotal<T extends EventType>(events: readonly T[], pick: (e: EventOf<T>) => number | null): SampleKind<number | null> {
  return sample(events, () => {
    let n: number | null = null;
    return {
      add: (e) => {
        const v = pick(e);
        if (v !== null) n = (n ?? 0) + v;
      },
      finish: () => n,
    };
  }, (values) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length ? sum(known) : null;
  });
}

/** Every value, in timeline order; runs pool by concatenation. Pure. */
export function list<T extends EventType>(events: readonly T[], pick: (e: EventOf<T>) => number): SampleKind<number[]> {
  return sample(events, () => {
    const values: number[] = [];
    return { add: (e) => void values.push(pick(e)), finish: () => values };
  }, (runs) => runs.flat());
}

/** Every value under a key (null: not kept), keys in first-seen order; runs pool key by key. Pure. */
export function listByKey<T extends EventType>(events: readonly T[], key: (e: EventOf<T>) => string | null, pick: (e: EventOf<T>) => number): SampleKind<Record<string, number[]>> {
  return sample(events, () => {
    const byKey = new Map<string, number[]>();
    return {
      add: (e) => {
        const k = key(e);
        if (k === null) return;
        // Pushed, not copied: a run's KPIs are brought up to date after every step.
        const values = byKey.get(k);
        if (values) values.push(pick(e));
        else byKey.set(k, [pick(e)]);
      },
      finish: () => Object.fromEntries(byKey),
    };
  }, (runs) => {
    const pooled: Record<string, number[]> = {};
    for (const run of runs) for (const [k, values] of Object.entries(run)) pushAll((pooled[k] ??= []), values);
    return pooled;
  });
}

/** How many events under each key, keys in first-seen order; runs pool key by key. Pure. */
export function tally<T extends EventType>(events: readonly T[], key: (e: EventOf<T>) => string): SampleKind<Record<string, number>> {
  return sample(events, () => {
    const counts: Record<string, number> = {};
    return { add: (e) => void (counts[key(e)] = (counts[key(e)] ?? 0) + 1), finish: () => counts };
  }, (runs) => {
    const pooled: Record<string, number> = {};
    for (const run of runs) for (const [k, n] of Object.entries(run)) pooled[k] = (pooled[k] ?? 0) + n;
    return pooled;
  });
}

/** How many distinct milestones have an event of the types that passes `when`; runs pool by sum. Pure. */
export function milestonesWith<T extends EventType>(events: readonly T[], when: (e: EventOf<T>) => boolean = () => true): SampleKind<number> {
  return sample(events, () => {
    const seen = new Set<number>();
    return { add: (e) => void (e.milestone !== null && when(e) && seen.add(e.milestone)), finish: () => seen.size };
  }, sum);
}
