import { runGit } from './run-git.js';

export interface GitIdentity {
  name: string;
  email: string;
}

/** The identity used when neither the policy nor git configuration names one. */
export const DEFAULT_IDENTITY: GitIdentity = Object.freeze({ name: 'Engine', email: 'engine@localhost' });

/**
 * The checkpoint identity: policy `git.author` ("Name <email>") wins; else the user's git
 * configuration for that repo (user.name and user.email, both needed); else
 * `Engine <engine@localhost>`. Throws on a malformed policy value. Impure (reads git config).
 */
export async function resolveGitIdentity(repo: string, policyAuthor: string | null): Promise<GitIdentity> {
  if (policyAuthor !== null && policyAuthor.trim() !== '') return parseGitAuthor(policyAuthor);
  const name = await readConfig(repo, 'user.name');
  const email = await readConfig(repo, 'user.email');
  if (name && email) return { name, email };
  return { ...DEFAULT_IDENTITY };
}

/**
 * Parses "Name <email>" into its parts; throws with the offending value when it is not of
 * that form (git itself rejects '<', '>' and newlines inside either part). Pure.
 */
export function parseGitAuthor(value: string): GitIdentity {
  const match = /^\s*([^<>\n]*?)\s*<([^<>\s]+)>\s*$/.exec(value);
  if (!match || match[1] === '') {
    throw new Error(`git.author must look like "Name <email>", got ${JSON.stringify(value)}`);
  }
  return { name: match[1]!, email: match[2]! };
}

/**
 * Environment for git commands that create commits: the identity as author and committer
 * and one date for both, so identical inputs give identical commit ids. Pure.
 */
export function commitEnv(identity: GitIdentity, date: Date): Record<string, string> {
  const stamp = `@${Math.floor(date.getTime() / 1000)} +0000`;
  return {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_AUTHOR_DATE: stamp,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
    GIT_COMMITTER_DATE: stamp,
  };
}

async function readConfig(repo: string, key: string): Promise<string | null> {
  // Exit 1 is "not set"; a path that is not a repo still reads the global config.
  const { stdout, exitCode } = await runGit(repo, ['config', '--get', key], { okCodes: [1, 128] });
  const value = stdout.trim();
  return exitCode === 0 && value !== '' ? value : null;
}
