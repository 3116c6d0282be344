/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * Markers block of an explore answer: what was learnt about the repository.
 */
export interface ExploreMarkers {
  /**
   * Information still missing to plan the work (questions, unknowns).
   *
   * Items: One missing piece of information.
   */
  info_needs: string[];
  /**
   * Assumptions made about the repository or the goal.
   *
   * Items: One assumption.
   */
  assumptions: string[];
  /**
   * Repo-relative paths that the work will probably create or change.
   *
   * Items: A repo-relative file path.
   */
  files_expected: string[];
}
