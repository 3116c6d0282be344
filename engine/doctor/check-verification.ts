/**
 * Verification tiers: tier0 without commands proves nothing (a warning); a command whose
 * program is not there fails every verification (a block). Commands run through `sh -c`
 * from `verification.cwd`, so a program is a name on PATH or a path relative to that dir.
 */
import path from 'node:path';
import { findProgram } from '../proc/find-program.js';
import { finding, type Finding } from './types.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

export const TIERS = ['tier0', 'tier0_fast', 'tier1', 'tier2'] as const;

export interface VerificationPolicy {
  cwd: string;
  tiers: Partial<Record<(typeof TIERS)[number], { commands?: string[] }>>;
}

// What sh runs without looking on PATH, and words that are not programs.
const SHELL_WORDS = new Set(
  'cd echo exit export test [ [[ true false : . source set unset read printf pwd eval exec shift wait trap umask alias type command if then else elif fi for while until do done case esac in function return local break continue time { } ! ( )'.split(' '),
);

/**
 * The programs a shell command line starts, as far as they can be told without running it:
 * the first word of each simple command (after `NAME=value` assignments), leaving out shell
 * builtins and anything with an expansion. Pure.
 */
export function programsOf(command: string): string[] {
  const programs: string[] = [];
  for (const segment of splitSimpleCommands(command)) {
    const words = segment.trim().replace(/^[({]\s*/, '').split(/\s+/).filter(Boolean);
    while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) words.shift();
    const first = words[0];
    if (!first || SHELL_WORDS.has(first) || /[$`"'*?]/.test(first)) continue;
    if (!programs.includes(first)) programs.push(first);
  }
  return programs;
}

/** One finding per tier that has commands, and `verify.tier0` always. Impure (file checks). */
export function checkVerification(v: VerificationPolicy, repo: string, env: NodeJS.ProcessEnv): Finding[] {
  const cwd = path.resolve(repo, v.cwd);
  const out: Finding[] = [];
  for (const tier of TIERS) {
    const commands = v.tiers[tier]?.commands ?? [];
    const id = `verify.${tier}`;
    if (commands.length === 0) {
      if (tier === 'tier0')
        out.push(finding(id, 'warn', 'tier0 has no commands: verification passes without proving anything', `set verification.tiers.tier0.commands in .engine/policy.yaml (e.g. ["npm test"]); \`${engineCommandAnywhere('init')}\` fills in npm test when package.json has a test script`));
      continue;
    }
    const missing: string[] = [];
    const found: string[] = [];
    for (const command of commands) {
      for (const program of programsOf(command)) {
        if (findProgram(program, { cwd, env })) found.push(program);
        else missing.push(`\`${program}\` (in \`${command}\`)`);
      }
    }
    if (missing.length) {
      out.push(finding(id, 'block', `${tier}: ${missing.join(', ')} not found on PATH or from ${cwd}`, `install what is missing, or change verification.tiers.${tier}.commands in the policy`));
    } else {
      out.push(finding(id, 'ok', `${tier}: ${commands.length} command${commands.length === 1 ? '' : 's'}${found.length ? ` (${[...new Set(found)].join(', ')} found)` : ''}`));
    }
  }
  return out;
}

/** Splits on `;`, `&&`, `||`, `|`, `&` and newlines outside quotes. Pure. */
function splitSimpleCommands(command: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (ch === '&' && (command[i - 1] === '>' || command[i + 1] === '>')) {
      current += ch; // a redirection (2>&1, &>file), not a separator
    } else if (ch === ';' || ch === '|' || ch === '&' || ch === '\n') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}
