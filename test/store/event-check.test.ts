import t from 'tap';
import Ajv from 'ajv';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventCheck } from '../../engine/store/index-runs.js';

// The engine checks timeline lines against the event schema (report, the store's index) with
// ajv's discriminator: the branch of the line's `type` alone is checked, not every branch of
// the schema's oneOf with all their errors (a store without an index: 5.5 → 1.0 s at 1,000
// runs). It must accept and refuse exactly what the plain oneOf does, for real events and for
// every way a forged or damaged line can differ from one.

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', '..');
const schema = JSON.parse(readFileSync(path.join(root, 'schemas', 'event.schema.json'), 'utf8'));
const ajv = new Ajv.default({ allErrors: true, strict: false });
ajv.addSchema(JSON.parse(readFileSync(path.join(root, 'schemas', 'state.schema.json'), 'utf8')), 'state.schema.json');
const plain = ajv.compile(schema);
const runs = path.join(root, 'test', 'fixtures', 'report-store', 'runs');
const events: Record<string, unknown>[] = readdirSync(runs).filter((run) => existsSync(path.join(runs, run, 'timeline.jsonl'))).flatMap((run) =>
  readFileSync(path.join(runs, run, 'timeline.jsonl'), 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return value !== null && typeof value === 'object' && !Array.isArray(value) ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    }),
);

/** Each way one event can be altered: a field removed, its value of another type, a field added, the type changed. */
function variantsOf(e: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  for (const key of Object.keys(e)) {
    const { [key]: _gone, ...without } = e;
    out.push(without);
    const v = e[key];
    for (const other of [null, 7, 'text', true, [], {}, -1.5]) if (typeof other !== typeof v || (other === null) !== (v === null)) out.push({ ...e, [key]: other });
  }
  out.push({ ...e, unexpected: 1 }, { ...e, type: 'no.such.event' }, { ...e, type: 42 }, { ...e, type: String(e['type']).toUpperCase() });
  return out;
}

t.test('the discriminated validator and the plain oneOf agree on every event and every altered one', async (t) => {
  const isEvent = await eventCheck();
  const types = new Set(events.map((e) => e['type']));
  t.ok(types.size >= 15, `the fixture store holds many kinds of event (${types.size})`);
  let accepted = 0;
  let refused = 0;
  const disagree: string[] = [];
  for (const e of events) {
    for (const value of [e, ...variantsOf(e)]) {
      const want = plain(value);
      if (isEvent(value) !== want) disagree.push(JSON.stringify(value).slice(0, 200));
      if (want) accepted++;
      else refused++;
    }
  }
  t.strictSame(disagree.slice(0, 5), [], `${disagree.length} values judged differently`);
  t.ok(events.every((e) => isEvent(e)), 'every event the engine wrote passes');
  t.ok(accepted > events.length && refused > events.length * 5, `both verdicts are exercised (${accepted} accepted, ${refused} refused)`);
  for (const odd of [null, 'run.started', [], 42, {}]) t.equal(isEvent(odd), false, `not an event: ${JSON.stringify(odd)}`);
});

// A worker without the OS sandbox can rewrite the timeline: a milestone of -5000 s was `ok`
// against every time target and a cost of $-1,000,000 cut the pooled cost of every run it was
// reported with. The engine measures no negative time, count or price.
t.test('a negative duration, token count, cost or diff size is no event the engine writes', async (t) => {
  const isEvent = await eventCheck();
  const measured: [string, (e: Record<string, any>) => Record<string, unknown>][] = [
    ['milestone.finished', (e) => ({ ...e, duration_ms: -5_000_000 })],
    ['step.finished', (e) => ({ ...e, duration_ms: -1 })],
    ['verify.finished', (e) => ({ ...e, duration_ms: -1 })],
    ['verify.finished', (e) => ({ ...e, commands: e.commands.map((c: object) => ({ ...c, duration_ms: -1 })) })],
    ['worker.finished', (e) => ({ ...e, duration_ms: -1 })],
    ['worker.finished', (e) => ({ ...e, cost_usd: -1e6 })],
    ['worker.finished', (e) => ({ ...e, usage: { input_tokens: -10, output_tokens: 1 } })],
    ['checkpoint.created', (e) => ({ ...e, added: -100 })],
    ['checkpoint.created', (e) => ({ ...e, files: -1 })],
  ];
  for (const [type, alter] of measured) {
    const real = events.find((e) => e['type'] === type && (type !== 'verify.finished' || (e['commands'] as unknown[]).length > 0));
    if (!real) {
      t.fail(`the fixture store has a ${type}`);
      continue;
    }
    t.ok(isEvent(real), `${type} as written passes`);
    const forged = alter(real);
    t.equal(isEvent(forged), false, `refused: ${JSON.stringify(forged).slice(0, 160)}`);
    t.equal(plain(forged), false, 'by the schema itself too');
  }
});

// JSON.parse reads 1e999 as Infinity, and the schema's `integer` took it: a milestone of
// 1e999 ms was reported as `Infinity` s in the text, `null` in the JSON with a count of 2, and
// `NaN` in the HTML page's drawing. No number the engine writes is past Number.MAX_SAFE_INTEGER.
t.test('a number past what the engine writes (1e999 is Infinity) is no event', async (t) => {
  const isEvent = await eventCheck();
  const refusedOf: string[] = [];
  for (const e of events) {
    for (const [key, value] of Object.entries(e)) {
      if (typeof value !== 'number' || key === 'schema_version') continue;
      const forged = JSON.parse(JSON.stringify({ ...e, [key]: 0 }).replace(`"${key}":0`, `"${key}":1e999`));
      t.equal(forged[key], Infinity);
      if (isEvent(forged)) refusedOf.push(`${e['type']}.${key}`);
    }
  }
  t.strictSame([...new Set(refusedOf)], [], 'every number field refuses Infinity');
  const cost = events.find((e) => e['type'] === 'worker.finished')!;
  t.equal(isEvent(JSON.parse(JSON.stringify({ ...cost, cost_usd: 0 }).replace('"cost_usd":0', '"cost_usd":1e999'))), false, 'a cost too');
});

// `ts` was any string: a line with "not a time" drew the HTML timeline with NaN coordinates.
// The engine writes Date#toISOString (UTC, `Z`).
t.test('a ts that is no UTC time as the engine writes it is no event', async (t) => {
  const isEvent = await eventCheck();
  const e = events[0]!;
  t.ok(isEvent({ ...e, ts: '2026-03-01T09:00:00.000Z' }));
  t.ok(isEvent({ ...e, ts: '2026-03-01T09:00:00Z' }));
  for (const ts of ['not a time', '2026-03-01', '2026-13-01T00:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T09:00:60Z', '+275760-09-13T00:00:00.000Z', '2026-03-01T09:00:00.000+02:00', ''])
    t.equal(isEvent({ ...e, ts }), false, `refused: ${ts}`);
});
