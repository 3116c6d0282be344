/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * Markers block of a plan answer: the milestones to implement.
 */
export interface PlanMarkers {
  /**
   * The milestones in the order they are to be implemented; each one small enough for one implement call.
   */
  milestones: PlanMilestone[];
  /**
   * Assumptions the plan rests on where the goal is ambiguous.
   *
   * Items: One assumption.
   */
  assumptions: string[];
}
/**
 * One milestone of the plan.
 */
export interface PlanMilestone {
  /**
   * Short stable identifier of the milestone (e.g. m1, add-parser): letters, digits, dots, dashes and underscores, at most 64, starting with a letter or digit.
   */
  id: string;
  /**
   * What the milestone achieves, in one or two sentences.
   */
  goal: string;
  /**
   * Repo-relative paths the milestone is expected to create or change.
   *
   * Items: A repo-relative file path.
   */
  files_expected: string[];
  /**
   * Observable checks that tell the milestone is done (commands, behaviours).
   *
   * Items: One check.
   */
  done_checks: string[];
  /**
   * How risky the change is: decides how thoroughly it is verified and reviewed.
   */
  risk_level: 'low' | 'medium' | 'high';
}
