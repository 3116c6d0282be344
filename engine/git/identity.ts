import type { RepoRef } from './repo.js';
import { runGit } from './run-git.js';
import { onlyCrud } from '../util/git-name.js';

export interface GitIdentity {
  name: string;
  email: string;
}

/** The identity used when neither the policy nor git configuration names one. */
export const DEFAULT_IDENTITY: GitIdentity = Object.freeze({ name: 'Engine', email: 'engine@localhost' });

/**
 * The checkpoint identity: policy `git.author` ("Name <email>") wins; else the user's git
 * configuration for that repo (user.name and user.email, both needed; global config
 * included); else `Engine <engine@localhost>`. Read once per run session. Throws on a
 * malformed policy value. Impure (reads git config).
 */
export async function resolveGitIdentity(repo: RepoRef, policyAuthor: string | null): Promise<GitIdentity> {
  return policyIdentity(policyAuthor) ?? configIdentity(repo);
}

/** The policy's `git.author` parsed, or null when it names none; throws on a malformed value. Pure. */
export function policyIdentity(policyAuthor: string | null): GitIdentity | null {
  return policyAuthor !== null && policyAuthor.trim() !== '' ? parseGitAuthor(policyAuthor) : null;
}

/** The repo's git configuration's identity (user.name and user.email, both needed), else the default. Impure (reads git config). */
export async function configIdentity(repo: RepoRef): Promise<GitIdentity> {
  const { stdout } = await runGit({ gitDir: repo.gitDir }, ['config', '-z', '--get-regexp', '^user\\.(name|email)$'], { okCodes: [1], userConfig: true });
  const values = new Map<string, string>();
  for (const record of stdout.split('\0')) {
    const nl = record.indexOf('\n');
    if (nl > 0) values.set(record.slice(0, nl), record.slice(nl + 1).trim());
  }
  const name = values.get('user.name');
  const email = values.get('user.email');
  if (name && email && !/[<>\n]/.test(name + email) && !onlyCrud(name)) return { name, email };
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
  if (onlyCrud(match[1]!)) throw new Error(`git.author's name ${JSON.stringify(match[1])} is only characters git strips from a name (. , : ; " ' \\ and spaces): git refuses it; name someone, as "Name <email>"`);
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
