/** The editor modeline a config file starts with. Pure. */
export function modelineFor(schemaPath: string): string {
  return `# yaml-language-server: $schema=${schemaPath}`;
}

/** The text with its first-line modeline replaced (or one added). Pure. */
export function withModeline(text: string, schemaPath: string): string {
  const lines = text.split('\n');
  if (lines[0]?.startsWith('# yaml-language-server:')) lines[0] = modelineFor(schemaPath);
  else lines.unshift(modelineFor(schemaPath));
  return lines.join('\n');
}

/** The short commented policy override `engine init` writes. Pure. */
export function renderPolicyOverride(schemaPath: string, npmTest: boolean): string {
  const tier0 = npmTest
    ? ['verification:', '  tiers:', '    tier0:', '      commands: ["npm test"]']
    : ['# verification:', '#   tiers:', '#     tier0:', '#       commands: ["npm test"]'];
  return [
    modelineFor(schemaPath),
    '# This repo\'s policy: it overrides the engine\'s built-in defaults key by key (maps merge;',
    '# lists and scalars replace). `engine policy --explain` shows every effective value and',
    '# where it came from; --policy FILE and --set KEY=VALUE override this file per run.',
    'apiVersion: engine/v1',
    'kind: Policy',
    ...tier0,
    '# governance:',
    '#   allowed_roots: ["src/**", "test/**"]   # what workers may change',
    '#   protected: ["secrets/**"]               # .git/** and .engine/** always are',
    '# budgets:',
    '#   max_ticks: 200',
    '#   time_min: 60',
    '',
  ].join('\n');
}
