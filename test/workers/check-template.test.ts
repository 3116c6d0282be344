import t from 'tap';
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTemplateText } from '../../engine/workers/check-template.js';

// The check says a template is good exactly when Handlebars in strict mode (as the engine
// renders) renders it with every variable the engine gives present: a review found it refusing
// templates that render ({{#if nosuch}}, sections, partial blocks) and passing ones that end
// the run ({{goal}} inside {{#each files}}). Each case is rendered for real beside the check.

const milestone = { index: 1, count: 2, id: 'm1', goal: 'write a', files_expected: ['a.js'], done_checks: ['a works'], risk_level: 'low' };
const vars = {
  goal: 'g', task_kind: 'incremental', step: 'implement', phase: 'implement', attempt: 2, milestone, milestones: [milestone, { ...milestone, id: 'm2' }],
  explore: { info_needs: ['q'], assumptions: ['a'], files_expected: ['f'] }, failure: { tier: 'tier0', output: 'boom' }, review_changes: ['fix it'],
  carried_failure: { text: 't', why: 'w' }, smaller_milestones: { retry_rate: 0.5, target: 0.2 }, findings: ['a finding'], previous_error: 'e', markers_schema: '{}', files: ['a.js', 'b.js'], files_truncated: false,
};

const renders = (text: string): boolean => {
  try {
    Handlebars.compile(text, { strict: true, noEscape: true })(vars);
    return true;
  } catch {
    return false;
  }
};

const cases = [
  // Good.
  '{{goal}} {{milestone.goal}} {{#if failure}}{{failure.output}}{{/if}}',
  '{{#if nosuch}}x{{/if}}{{#unless nosuch}}y{{/unless}}{{#each nosuch}}z{{/each}}{{#with nosuch}}w{{/with}}',
  '{{#files}}- {{this}}{{/files}}{{^review_changes}}none{{/review_changes}}',
  '{{#each files}}- {{this}} of {{../goal}} ({{@index}}){{/each}}',
  '{{#each files as |f i|}}{{f}} {{i}}{{/each}}',
  '{{#each milestones}}{{id}}: {{goal}} ({{risk_level}}) {{#each done_checks}}{{this}}{{/each}}{{/each}}',
  '{{#each milestones}}{{#if @first}}{{@root.goal}}{{else}}{{../step}}{{/if}}{{/each}}',
  '{{#> nope}}fallback {{goal}}{{/nope}}',
  '{{#*inline "p"}}[{{goal}}]{{/inline}}{{> p}}',
  '{{log}}{{lookup milestone "goal"}}{{log goal}}',
  '{{~goal~}} {{!-- a comment --}} {{{goal}}} {{"goal"}}',
  '{{#each milestone.files_expected}}{{this}}{{else}}{{goal}}{{/each}}',
  '{{milestone.id}} {{milestone.index}}/{{milestone.count}} {{failure.tier}} {{carried_failure.why}} {{smaller_milestones.target}} {{explore.assumptions}} {{milestones.length}} {{files.length}}',
  // Bad.
  // A hostile review: these passed the check and stopped the run as the prompt was rendered.
  '{{goal.length}}',
  '{{attempt.x}}',
  '{{milestone.title}}',
  '{{failure.log}}',
  '{{nonexistent_var}}',
  '{{#each files}}- {{this}} for {{goal}}{{/each}}',
  '{{#each milestones}}{{title}}{{/each}}',
  '{{#each review_changes}}{{this.text}}{{/each}}',
  '{{shout goal}}',
  '{{> part}}',
  '{{@root.stepp}}',
  '{{#nosuch}}x{{/nosuch}}',
  '{{#each milestones}}{{../gaol}}{{/each}}',
  '{{lookup}}',
  '{{"literal"}}',
];

t.test('the check agrees with a strict render, every variable given', async (t) => {
  for (const text of cases) {
    const problems = checkTemplateText(text, 'x.md');
    t.equal(problems.length === 0, renders(text), `${JSON.stringify(text)}: ${problems.map((p) => p.message).join(' | ') || 'no problem'}`);
  }
});

t.test('the shipped templates pass', async (t) => {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates', 'prompts');
  for (const name of readdirSync(dir)) t.same(checkTemplateText(readFileSync(path.join(dir, name), 'utf8'), name), [], name);
});

t.test('where it says so: the line and column of the path, or of a parse error', async (t) => {
  t.match(checkTemplateText('Do {{goal}}.\nThen {{nonexistent_var}}\n', 'x.md'), [{ code: 'E_TEMPLATE', line: 2, col: 8 }]);
  t.match(checkTemplateText('{{goal}\n', 'x.md'), [{ line: 1, message: /does not parse/ }]);
  const mismatched = checkTemplateText('a\nb\n{{#if goal}}\n{{/each}}\n', 'x.md');
  t.match(mismatched, [{ line: 3, message: /does not parse: if doesn't match each/ }]);
  t.match(checkTemplateText('{{#each files}}\n  {{goal}}\n{{/each}}', 'x.md'), [{ line: 2, col: 5, message: /the items of files are strings: inside \{\{#each files\}\} write \{\{this\}\}/ }]);
});
