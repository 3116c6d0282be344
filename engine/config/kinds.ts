/**
 * The kinds of files a user writes (contract §3) and where their schemas live. Each kind's
 * schema is read from schemas/<lowercase kind>.schema.json, so a kind whose schema ships
 * later works as soon as the file is there.
 */
export const KINDS = ['Pipeline', 'Policy', 'Task', 'Scenario'] as const;

export type Kind = (typeof KINDS)[number];

/** The API version every file declares. */
export const API_VERSION = 'engine/v1';

/** True for a known kind. Pure. */
export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}

/** Schema name of a kind, as `engine schema <name>` takes it. Pure. */
export function schemaNameOf(kind: Kind): string {
  return kind.toLowerCase();
}
