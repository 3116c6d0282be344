/**
 * The markers contract (contract §4): the JSON object between a line `BEGIN_MARKERS` and a
 * line `END_MARKERS` in the worker's final answer, validated against
 * `schemas/markers/<phase>.schema.json`. Extraction is pure; validation compiles the shipped
 * schemas once (a file read at first use).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { compileSchema } from '../config/validators.js';
import { schemasDir } from '../paths.js';
import type { MarkersPhase } from './types.js';
import { parseJson } from '../util/parse-json.js';

export type MarkersErrorCode = 'no_block' | 'unterminated_block' | 'invalid_json' | 'not_object' | 'schema';

export type MarkersResult =
  | { ok: true; value: Record<string, unknown>; warnings: string[] }
  | { ok: false; code: MarkersErrorCode; error: string; warnings: string[] };

export const MARKERS_PHASES: readonly MarkersPhase[] = ['explore', 'plan', 'implement', 'review'];

const BEGIN = 'BEGIN_MARKERS';
const END = 'END_MARKERS';

/**
 * Finds the markers block in a final answer and parses its JSON object. The last complete
 * block counts (a warning says so when there are several); a code fence inside or around
 * the block is tolerated. Pure.
 */
export function extractMarkers(finalText: string): MarkersResult {
  const lines = finalText.split(/\r?\n/);
  const blocks: string[][] = [];
  const warnings: string[] = [];
  let open: string[] | null = null;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === BEGIN) {
      if (open) warnings.push('BEGIN_MARKERS inside an open block: the earlier start is ignored');
      open = [];
    } else if (line === END && open) {
      blocks.push(open);
      open = null;
    } else if (open) {
      open.push(raw);
    }
  }
  if (blocks.length === 0) {
    return open
      ? { ok: false, code: 'unterminated_block', error: 'BEGIN_MARKERS without a following END_MARKERS line', warnings }
      : { ok: false, code: 'no_block', error: 'no markers block (a line BEGIN_MARKERS, a JSON object, a line END_MARKERS) in the final answer', warnings };
  }
  if (blocks.length > 1) warnings.push(`${blocks.length} markers blocks in the answer: the last one counts`);
  if (open) warnings.push('a BEGIN_MARKERS after the last block is never closed: ignored');
  const body = blocks[blocks.length - 1]!.filter((l) => !/^\s*```/.test(l)).join('\n').trim();
  let value: unknown;
  try {
    value = parseJson(body);
  } catch (e) {
    return { ok: false, code: 'invalid_json', error: `the markers block is not valid JSON: ${(e as Error).message}`, warnings };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'not_object', error: 'the markers block must hold a JSON object', warnings };
  }
  return { ok: true, value: value as Record<string, unknown>, warnings };
}

/** Validates a markers object against the phase's schema. Reads the schema at first use. */
export function validateMarkers(phase: MarkersPhase, value: unknown): { ok: true } | { ok: false; error: string } {
  const validate = validatorFor(phase);
  if (validate(value)) return { ok: true };
  const problems = (validate.errors ?? []).map((e) => {
    const where = e.instancePath || '(root)';
    const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : e.keyword === 'enum' ? ` (${(e.params as { allowedValues?: unknown[] }).allowedValues?.join('|')})` : '';
    return `${where} ${e.message ?? 'is invalid'}${extra}`;
  });
  return { ok: false, error: `markers do not match schemas/markers/${phase}.schema.json: ${problems.join('; ')}` };
}

/** Extraction then validation: what a call's markers.json holds, or why it is absent. */
export function readMarkers(finalText: string, phase: MarkersPhase): MarkersResult {
  const found = extractMarkers(finalText);
  if (!found.ok) return found;
  return checkMarkersValue(found.value, phase, found.warnings);
}

/** Validates a value that came as native structured output (or from a block). */
export function checkMarkersValue(value: unknown, phase: MarkersPhase, warnings: string[] = []): MarkersResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'not_object', error: 'the structured output must be a JSON object', warnings };
  }
  const valid = validateMarkers(phase, value);
  if (!valid.ok) return { ok: false, code: 'schema', error: valid.error, warnings };
  return { ok: true, value: value as Record<string, unknown>, warnings };
}

/** Path of the shipped schema of a phase. */
export function markersSchemaPath(phase: MarkersPhase): string {
  return path.join(schemasDir, 'markers', `${phase}.schema.json`);
}

/** The schema text of a phase (for prompts and `--json-schema`). */
export function readMarkersSchema(phase: MarkersPhase): string {
  return readFileSync(markersSchemaPath(phase), 'utf8');
}

export function isMarkersPhase(value: string): value is MarkersPhase {
  return (MARKERS_PHASES as readonly string[]).includes(value);
}

const validators = new Map<MarkersPhase, ValidateFunction>();
/** The compiled schema of a phase: the build's (ajv only for a schema edited since). */
function validatorFor(phase: MarkersPhase): ValidateFunction {
  let v = validators.get(phase);
  if (!v) {
    const text = readMarkersSchema(phase);
    v = compileSchema(JSON.parse(text) as Record<string, unknown>, text) as unknown as ValidateFunction;
    validators.set(phase, v);
  }
  return v;
}
