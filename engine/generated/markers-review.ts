/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * Markers block of a review answer: the verdict on a milestone's change.
 */
export interface ReviewMarkers {
  /**
   * approve: the change is good; request_changes: fixable problems listed in changes; reject: the approach is wrong.
   */
  verdict: 'approve' | 'request_changes' | 'reject';
  /**
   * The changes requested (empty when approving).
   *
   * Items: One requested change, concrete enough to act on.
   */
  changes: string[];
}
