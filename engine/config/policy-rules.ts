import { onlyCrud } from '../util/git-name.js';
import path from 'node:path';
import type { RuleContext } from '../vocabulary/rule-context.js';
import { globProblem } from './glob-problem.js';

/**
 * The repo-relative paths of a policy: governance's glob lists, each risk trigger's paths and
 * workspace.share, each glob checked by globProblem, and verification.cwd. Applied to each
 * policy file, to each `--set` and to the merged policy alike (a `--set` of `/abs/**` as an
 * allowed root passed, and stopped the run at its plan). Pure.
 */
export function policyGlobs(ctx: RuleContext<{ governance?: Record<string, unknown>; verification?: { cwd?: unknown; risk_triggers?: { paths?: unknown }[] }; workspace?: { share?: unknown }; git?: { author?: unknown } }>): void {
  const check = (list: unknown, at: (string | number)[]) => {
    if (!Array.isArray(list)) return;
    list.forEach((glob, i) => {
      const why = typeof glob === 'string' ? globProblem(glob) : null;
      if (why) ctx.report('E_SCHEMA', [...at, i], `\`${[...at, i].join('.')}\` ${JSON.stringify(glob)}: ${why}`);
    });
  };
  for (const key of ['allowed_roots', 'protected', 'framework_paths', 'lockfiles']) check(ctx.data.governance?.[key], ['governance', key]);
  (ctx.data.verification?.risk_triggers ?? []).forEach((trigger, i) => check(trigger?.paths, ['verification', 'risk_triggers', i, 'paths']));
  // Matched against the checkout's ignored paths: an absolute or leaving glob shares nothing.
  check(ctx.data.workspace?.share, ['workspace', 'share']);
  // The directory verification runs in is the workspace's: a new user's `/etc` or `../..` ran
  // the repo's tests outside it.
  // A name git refuses (only the characters it strips): the first checkpoint, after the
  // worker had worked, ended the run with exit 70; validate, doctor and `policy --set` said ok.
  const author = ctx.data.git?.author;
  const name = typeof author === 'string' ? /^\s*([^<>\n]*?)\s*</.exec(author)?.[1] : undefined;
  if (name !== undefined && name !== '' && onlyCrud(name)) {
    ctx.report('E_SCHEMA', ['git', 'author'], `\`git.author\` ${JSON.stringify(author)}: its name is only characters git strips from a name (. , : ; " ' \\ and spaces), and git refuses it; name someone, as "Name <email>"`);
  }
  const cwd = ctx.data.verification?.cwd;
  if (typeof cwd === 'string' && (path.isAbsolute(cwd) || cwd.split(/[\\/]/).includes('..'))) {
    ctx.report('E_SCHEMA', ['verification', 'cwd'], `\`verification.cwd\` ${JSON.stringify(cwd)}: a directory of the repository, relative to its top (an absolute path or one with \`..\` leaves the workspace the commands are to check)`);
  }
}
