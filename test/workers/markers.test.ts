import t from 'tap';
import { readFileSync } from 'node:fs';
import { extractMarkers, readMarkers, validateMarkers, markersSchemaPath, MARKERS_PHASES } from '../../engine/workers/extract-markers.js';

const impl = { status: 'done', summary: 's', files_changed: ['a.ts'], commands_run: [], needs: null };
const block = (o: unknown): string => `BEGIN_MARKERS\n${JSON.stringify(o)}\nEND_MARKERS`;

t.test('extraction cases', async (t) => {
  const cases: [string, string, { ok: boolean; code?: string; warnings?: number }][] = [
    ['plain block', `Done.\n${block(impl)}\n`, { ok: true, warnings: 0 }],
    ['fence inside', 'BEGIN_MARKERS\n```json\n' + JSON.stringify(impl) + '\n```\nEND_MARKERS', { ok: true }],
    ['fence around', '```\n' + block(impl) + '\n```', { ok: true }],
    ['indented, CRLF', `  BEGIN_MARKERS\r\n${JSON.stringify(impl)}\r\n  END_MARKERS\r\n`, { ok: true }],
    ['several blocks: last counts', `${block({ x: 1 })}\ntext\n${block(impl)}`, { ok: true, warnings: 1 }],
    ['none', 'just prose', { ok: false, code: 'no_block' }],
    ['unterminated', 'BEGIN_MARKERS\n{}', { ok: false, code: 'unterminated_block' }],
    ['garbage', 'BEGIN_MARKERS\n{status: done}\nEND_MARKERS', { ok: false, code: 'invalid_json' }],
    ['array', 'BEGIN_MARKERS\n[1]\nEND_MARKERS', { ok: false, code: 'not_object' }],
    ['inline mention is not a block', 'I will print BEGIN_MARKERS and END_MARKERS later', { ok: false, code: 'no_block' }],
  ];
  for (const [name, text, want] of cases) {
    const r = extractMarkers(text);
    t.equal(r.ok, want.ok, name);
    if (!r.ok && want.code) t.equal(r.code, want.code, `${name}: code`);
    if (want.warnings !== undefined) t.equal(r.warnings.length, want.warnings, `${name}: warnings`);
  }
  const last = extractMarkers(`${block({ x: 1 })}\n${block(impl)}`);
  t.same(last.ok && last.value, impl, 'the last block is the value');
});

t.test('schemas: every key required, no extra keys, descriptions everywhere', async (t) => {
  for (const phase of MARKERS_PHASES) {
    const schema = JSON.parse(readFileSync(markersSchemaPath(phase), 'utf8'));
    t.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#', `${phase} draft-07`);
    t.match(schema.$id, /^https:\/\//, `${phase} $id`);
    const walk = (node: Record<string, unknown>, where: string): void => {
      if (node.type === 'object') {
        t.equal(node.additionalProperties, false, `${where} closed`);
        t.same([...(node.required as string[])].sort(), Object.keys(node.properties as object).sort(), `${where} requires every key`);
        for (const [k, v] of Object.entries(node.properties as Record<string, Record<string, unknown>>)) {
          t.type(v.description, 'string', `${where}.${k} described`);
          walk(v, `${where}.${k}`);
        }
      }
      if (node.items) walk(node.items as Record<string, unknown>, `${where}[]`);
    };
    walk(schema, phase);
  }
});

t.test("a milestone id is a short name: no space, no line break (it goes into branches' summaries and memos)", async (t) => {
  const plan = (id: string) => validateMarkers('plan', { milestones: [{ id, goal: 'g', files_expected: ['a'], done_checks: [], risk_level: 'low' }], assumptions: [] });
  for (const id of ['m1', 'add-parser', 'M2.b_c', 'x'.repeat(64)]) t.ok(plan(id).ok, id);
  for (const id of ['', 'm 1', 'm1\n## Next', '-m1', '.hidden', 'x'.repeat(65), 'm1`rm`']) t.notOk(plan(id).ok, JSON.stringify(id));
});

t.test('validation per phase', async (t) => {
  t.ok(validateMarkers('implement', impl).ok);
  t.ok(validateMarkers('implement', { ...impl, status: 'blocked', needs: 'a key' }).ok);
  const missing = validateMarkers('implement', { status: 'done', summary: 's', files_changed: [], commands_run: [] });
  t.notOk(missing.ok);
  t.match(!missing.ok && missing.error, /needs/);
  const extra = validateMarkers('review', { verdict: 'approve', changes: [], note: 1 });
  t.match(!extra.ok && extra.error, /note/);
  const badEnum = validateMarkers('review', { verdict: 'maybe', changes: [] });
  t.match(!badEnum.ok && badEnum.error, /approve\|request_changes\|reject/);
  t.ok(validateMarkers('plan', { milestones: [{ id: 'm1', goal: 'g', files_expected: ['a'], done_checks: ['npm test'], risk_level: 'low' }], assumptions: [] }).ok);
  t.notOk(validateMarkers('plan', { milestones: [{ id: 'm1', goal: 'g', files_expected: ['a'], done_checks: [], risk_level: 'huge' }], assumptions: [] }).ok);
  t.ok(validateMarkers('explore', { info_needs: [], assumptions: ['x'], files_expected: [] }).ok);
  const r = readMarkers(block({ verdict: 'approve' }), 'review');
  t.equal(r.ok, false);
  t.equal(!r.ok && r.code, 'schema');
});
