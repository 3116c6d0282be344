/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * Markers block of an implement (or fix) answer: the result of the milestone.
 */
export interface ImplementMarkers {
  /**
   * done: the milestone is implemented; blocked: it cannot be done (say why in needs); no_changes_needed: the repository already satisfies it; framework_fix_needed: the engine itself must change first.
   */
  status: 'done' | 'blocked' | 'no_changes_needed' | 'framework_fix_needed';
  /**
   * What was changed and why, in a few sentences.
   */
  summary: string;
  /**
   * Repo-relative paths the call created, changed or deleted.
   *
   * Items: A repo-relative file path.
   */
  files_changed: string[];
  /**
   * Shell commands the worker ran (tests, builds).
   *
   * Items: One command line.
   */
  commands_run: string[];
  /**
   * What is needed to go on when blocked or framework_fix_needed; null otherwise.
   */
  needs: string | null;
}
