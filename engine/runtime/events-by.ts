import type { TimelineEvent } from '../generated/event.js';

/**
 * A run's events by type and by milestone, for the steps that ask of them at every call (how
 * many verifications ran, when this milestone started, which workers a KPI switched): a scan
 * of the whole timeline at each such question made every milestone cost more than the one
 * before. Kept as counters.ts keeps its tally: per growing events array, from the events
 * appended since the last question.
 */
interface EventsBy {
  seen: number;
  type: Map<string, TimelineEvent[]>;
  milestone: Map<number, TimelineEvent[]>;
}

const indexes = new WeakMap<readonly TimelineEvent[], EventsBy>();

const NONE: readonly TimelineEvent[] = Object.freeze([]);

function indexOf(events: readonly TimelineEvent[]): EventsBy {
  let x = indexes.get(events);
  // An array that shrank is not the one indexed (a test's fixture rewound): start again.
  if (!x || x.seen > events.length) indexes.set(events, (x = { seen: 0, type: new Map(), milestone: new Map() }));
  for (let i = x.seen; i < events.length; i++) {
    const e = events[i]!;
    add(x.type, e.type, e);
    if (typeof e.milestone === 'number') add(x.milestone, e.milestone, e);
  }
  x.seen = events.length;
  return x;
}

function add<K>(map: Map<K, TimelineEvent[]>, key: K, e: TimelineEvent): void {
  const list = map.get(key);
  if (list) list.push(e);
  else map.set(key, [e]);
}

/** The events of one type, in timeline order. Pure apart from the cache; the list is not to be changed. */
export function eventsOfType<T extends TimelineEvent['type']>(events: readonly TimelineEvent[], type: T): readonly Extract<TimelineEvent, { type: T }>[] {
  return (indexOf(events).type.get(type) ?? NONE) as readonly Extract<TimelineEvent, { type: T }>[];
}

/** The events of one milestone, in timeline order. Pure apart from the cache; the list is not to be changed. */
export function eventsOfMilestone(events: readonly TimelineEvent[], milestone: number): readonly TimelineEvent[] {
  return indexOf(events).milestone.get(milestone) ?? NONE;
}
