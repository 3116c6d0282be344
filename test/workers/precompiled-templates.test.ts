import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { precompileShippedTemplates, renderPrompt } from '../../engine/workers/render-prompt.js';
import { templatesDir } from '../../engine/paths.js';

// The build precompiles the shipped prompt templates (dist/precompiled-templates.cjs); a
// template rendered from its precompiled spec must say exactly what the compiled one says,
// and keep strict mode (a missing variable is an error, not an empty string).

const vars = {
  goal: 'add a --verbose flag',
  task_kind: 'incremental',
  step: 'implement',
  phase: 'implement',
  attempt: 2,
  milestone: { id: 'm1', goal: 'parse the flag', index: 1, count: 2, files_expected: ['src/cli.ts'], done_checks: ['npm test'], risk_level: 'low' },
  milestones: [{ id: 'm1', goal: 'parse the flag', files_expected: ['src/cli.ts'], done_checks: [], risk_level: 'low' }],
  explore: { info_needs: ['where flags live'], assumptions: [], files_expected: ['src/cli.ts'] },
  failure: { tier: 'tier0', output: 'FAIL src/cli.test.ts' },
  review_changes: ['name the flag in --help'],
  carried_failure: { text: 'tests timed out', why: 'over its calls' },
  smaller_milestones: { retry_rate: 0.4, target: 0.2 },
  findings: ['test-count regression: src/cli.test.ts (2 → 1 tests)'],
  previous_error: 'markers missing',
  markers_schema: '{"type":"object"}',
  files: ['src/cli.ts', 'README.md'],
  files_truncated: true,
};

function loadTable(): Record<string, unknown> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-templates-')), 'precompiled-templates.cjs');
  writeFileSync(file, precompileShippedTemplates());
  return createRequire(import.meta.url)(file) as Record<string, unknown>;
}

t.test('every shipped template renders the same from its precompiled spec', async (t) => {
  const table = loadTable();
  const names = readdirSync(path.join(templatesDir, 'prompts')).filter((n) => n.endsWith('.md'));
  t.equal(Object.keys(table).length, names.length, 'one spec per template');
  for (const name of names) {
    const text = readFileSync(path.join(templatesDir, 'prompts', name), 'utf8');
    const compiled = Handlebars.compile(text, { strict: true, noEscape: true });
    const spec = Object.values(table).find((s) => {
      const fn = Handlebars.template(s as Parameters<typeof Handlebars.template>[0]);
      try {
        return fn(vars) === compiled(vars);
      } catch {
        return false;
      }
    });
    t.ok(spec, `${name}: a precompiled spec renders it identically`);
  }
});

t.test('strict mode survives precompilation', async (t) => {
  const spec = new Function(`return ${Handlebars.precompile('{{goal}} {{milestone.id}}', { strict: true, noEscape: true })}`)();
  const fn = Handlebars.template(spec);
  t.equal(fn({ goal: '<g>', milestone: { id: 'm1' } }), '<g> m1', 'no escaping');
  const compiled = Handlebars.compile('{{goal}} {{milestone.id}}', { strict: true, noEscape: true });
  let message = '';
  try {
    compiled({ goal: 'g' });
  } catch (error) {
    message = (error as Error).message;
  }
  t.match(message, /not defined/, 'compiled: a missing variable is an error');
  t.throws(() => fn({ goal: 'g' }), { message }, 'precompiled: the same error');
});

t.test('renderPrompt gives the same prompt with and without the table', async (t) => {
  const headers = { phase: 'implement' as const, step: 'implement', milestone: 1, attempt: 2, repairOf: null };
  const out = renderPrompt({ template: 'implement', vars, headers });
  t.match(out, /^engine-phase: implement$/m);
  t.match(out, /add a --verbose flag/);
  // An override with the same text as a shipped template renders the same too.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-override-'));
  writeFileSync(path.join(dir, 'implement.md'), readFileSync(path.join(templatesDir, 'prompts', 'implement.md'), 'utf8') + '\nextra line {{goal}}\n');
  const over = renderPrompt({ template: 'implement', vars, headers, overrideDir: dir });
  t.equal(over.trim(), `${out.trim()}\n\nextra line add a --verbose flag`, 'an edited template compiles as before');
});
