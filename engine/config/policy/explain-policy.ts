import { leavesOf } from './merge-layers.js';
import { ALWAYS_PROTECTED, type Provenance } from './resolved-policy.js';
import { maxOf } from '../../util/many.js';

/** One line of `engine policy --explain`. */
export interface ExplainedValue {
  key: string;
  value: unknown;
  from: Provenance | undefined;
}

/** Every effective leaf with where it came from, in the policy's key order. Pure. */
export function explainPolicy(policy: Record<string, unknown>, provenance: ReadonlyMap<string, Provenance>): ExplainedValue[] {
  return leavesOf(policy).map((leaf) => ({ key: leaf.key, value: leaf.value, from: provenance.get(leaf.key) }));
}

/** `file:line:col`, `--set key=value`, or `built-in` for a value no layer wrote. Pure. */
export function describeOrigin(from: Provenance | undefined): string {
  if (!from) return 'built-in';
  if (from.source === '--set') return `--set ${from.flag ?? ''}`.trim();
  const where = from.line ? `:${from.line}:${from.col}` : '';
  return `${from.file ?? from.source}${where}`;
}

/** The --explain text: aligned `key = value  # origin` lines. Pure. */
export function renderExplain(values: readonly ExplainedValue[]): string {
  const rows = values.map((v) => {
    const always = v.key === 'governance.protected' ? ` (${ALWAYS_PROTECTED.join(', ')} always)` : '';
    return [`${v.key} = ${JSON.stringify(v.value)}`, describeOrigin(v.from) + always] as const;
  });
  const width = Math.min(80, maxOf(rows.map(([left]) => left.length)));
  return rows.map(([left, origin]) => `${left.padEnd(width)}  # ${origin}`).join('\n') + '\n';
}
