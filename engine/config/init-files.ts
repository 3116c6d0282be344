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
export function renderPolicyOverride(schemaPath: string, npmTest: boolean, deps: 'share' | 'none' = 'none'): string {
  // Workspaces are fresh checkouts outside the repo: installed dependencies are shared from
  // the checkout when a lockfile says the project has them, else a set-up is only suggested.
  const workspace =
    deps === 'share'
      ? ['workspace:', '  share: ["node_modules"]   # the checkout\'s installed dependencies, read-only to workers (npm install here first)', '  # setup: ["npm ci --prefer-offline"]   # or: install them in each workspace instead of sharing']
      : ['# workspace:', '#   share: ["node_modules"]                  # git-ignored paths of this checkout the workspace sees', '#   setup: ["npm ci --prefer-offline"]       # or commands run once in each new workspace'];
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
    ...workspace,
    '# governance:',
    '#   allowed_roots: ["src/**", "test/**"]   # what workers may change',
    '#   protected: ["secrets/**"]               # .git/** and .engine/** always are',
    '# budgets:',
    '#   max_ticks: 200',
    '#   time_min: 60',
    '',
  ].join('\n');
}
