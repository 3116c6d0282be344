/**
 * Code-unit order, for sorting names, paths, ids and timestamps. Pure.
 *
 * Not `localeCompare`: its order follows the machine's locale (a record sorted on one machine
 * would differ on another), and its first call loads ICU's collator, about 8 ms of a run's
 * start-up.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
