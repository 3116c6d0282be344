/**
 * A workspace is a fresh checkout outside the repo: what git ignores (installed dependencies
 * above all) is not there unless the policy shares it or sets it up. A verification command
 * that needs the project's dependencies would then fail every tier. Impure (reads files).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { finding, type Finding } from './types.js';
import { TIERS, type VerificationPolicy } from './check-verification.js';

export interface WorkspacePolicy {
  share: string[] | null;
  setup: string[];
}

// Commands that run the project's own tools: they need its node_modules.
const NEEDS_DEPS = /\b(npx|npm (?:test|t|run|run-script|exec)|yarn|pnpm|node_modules\/\.bin)\b|\b(jest|vitest|mocha|ava|tsc|eslint|tap)\b/;

/** `workspace.deps`: warn when a tier needs the project's dependencies and the workspace will not have them. */
export function checkWorkspaceDeps(v: VerificationPolicy, w: WorkspacePolicy, repo: string): Finding | null {
  const pkg = readPackage(repo);
  if (!pkg) return null;
  const hasDeps = Object.keys(pkg.dependencies ?? {}).length + Object.keys(pkg.devDependencies ?? {}).length > 0;
  if (!hasDeps) return null;
  const commands = TIERS.flatMap((t) => (v.tiers[t]?.commands ?? []).map((c) => ({ tier: t, command: c }))).filter((c) => NEEDS_DEPS.test(c.command));
  if (commands.length === 0) return null;
  const shared = w.share === null ? (w.setup.length ? [] : ['node_modules']) : w.share;
  const sharesModules = shared.some((g) => g === 'node_modules' || g.startsWith('node_modules'));
  const first = `${commands[0]!.tier} runs \`${commands[0]!.command}\``;
  if (w.setup.length) return finding('workspace.deps', 'ok', `${first}; workspace.setup installs what it needs (${w.setup.map((c) => `\`${c}\``).join(', ')})`);
  if (sharesModules && existsSync(path.join(repo, 'node_modules'))) return finding('workspace.deps', 'ok', `${first}; the checkout's node_modules is shared with each workspace (read-only)`);
  const why = sharesModules ? 'workspace.share names node_modules but the checkout has none installed' : 'workspace.share does not name node_modules and no workspace.setup installs it';
  return finding('workspace.deps', 'warn', `${first}, which needs the project's dependencies, but the workspace will not have them: ${why}`, sharesModules ? 'run `npm install` (or `npm ci`) in the checkout, or set `workspace.setup: ["npm ci --prefer-offline"]`' : 'set `workspace.share: ["node_modules"]` (after installing them in the checkout) or `workspace.setup: ["npm ci --prefer-offline"]`');
}

function readPackage(repo: string): { dependencies?: Record<string, string>; devDependencies?: Record<string, string> } | null {
  try {
    const value = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as unknown;
    return value && typeof value === 'object' ? (value as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }) : null;
  } catch {
    return null;
  }
}
