/** The git model of a run: its worktree and branch, checkpoints, restores and change lists. */
export { createRunWorktree, removeRunWorktree, mergeHint, excludeEngineDir } from './worktree.js';
export type { CreateRunWorktreeOptions, RunWorktree } from './worktree.js';
export { createCheckpoint, normalizeMessage } from './checkpoint.js';
export type { CreateCheckpointOptions, Checkpoint } from './checkpoint.js';
export { restoreWorktree } from './restore.js';
export { listChangedFiles, diffStats, listHandEdits, parseNameStatus, parseNumstat } from './changes.js';
export type { ChangedFile, ChangeStatus, DiffStats } from './changes.js';
export { snapshotTree } from './snapshot.js';
export { findRepoRoot, headSha, treeHash, ensureGitRepo, EMPTY_TREE } from './repo.js';
export { resolveGitIdentity, parseGitAuthor, commitEnv, DEFAULT_IDENTITY } from './identity.js';
export type { GitIdentity } from './identity.js';
export { GitError } from './run-git.js';
