/** The git model of a run: its workspace and branch, checkpoints, restores and change lists. */
export { createWorkspace, removeWorkspace, openWorkspace, reopenWorkspace, workspaceTarget, workspacesRoot, repoWorkspacesDir, engineGitDirOf, mergeHint, matchShared } from './workspace.js';
export type { Workspace, CreateWorkspaceOptions, CreatedWorkspace } from './workspace.js';
export { commitCheckpoint, renderCheckpointMessage, oneLine } from './checkpoint.js';
export type { CommitCheckpointOptions, CheckpointMessage } from './checkpoint.js';
export { restoreWorkspace } from './restore.js';
export { diffTreeEntries, measureTrees, readBlobs, parseNameStatus, parseNumstat, parseRaw } from './changes.js';
export type { ChangedFile, ChangeStatus, DiffStats, TreeEntryChange } from './changes.js';
export { snapshotTree } from './snapshot.js';
export { locateRepo, findRepoRoot, headSha, treeHash, ensureGitRepo, repoTarget, EMPTY_TREE } from './repo.js';
export type { RepoRef } from './repo.js';
export { resolveGitIdentity, parseGitAuthor, commitEnv, DEFAULT_IDENTITY } from './identity.js';
export type { GitIdentity } from './identity.js';
export { GitError, runGit, gitText, gitStats } from './run-git.js';
export type { GitTarget } from './run-git.js';
