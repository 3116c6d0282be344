import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, parseDocument, type Node, type YAMLMap } from 'yaml';
import type { Kpis } from '../generated/state.js';
import { packageRoot } from '../paths.js';
import { writeFileAtomic } from '../store/atomic.js';
import { resolveWriteTarget } from '../util/write-target.js';

/** The milestone-time targets a baseline sets (the seed: "set after baseline"). */
export interface Baseline {
  milestone_median_s: number;
  milestone_p90_s: number;
  /** Runs and milestones the times come from. */
  runs: number;
  milestones: number;
}

/**
 * The baseline of completed runs' pooled KPIs: their milestone time median and p90 become
 * `milestone_median_s` and `milestone_p90_s`. Null when no milestone finished. Pure.
 */
export function baselineOf(pooled: Kpis | null, runs: number): Baseline | null {
  const m = pooled?.milestone_s;
  if (!m || m.median === null || m.p90 === null || !m.count) return null;
  return { milestone_median_s: m.median, milestone_p90_s: m.p90, runs, milestones: m.count };
}

const TARGET_KEYS = ['milestone_median_s', 'milestone_p90_s'] as const;

/** A change of the text: `[from, to)` becomes `text`. */
interface Edit {
  from: number;
  to: number;
  text: string;
}

/**
 * A policy file's text with the baseline's targets set under `kpi_targets`, changed only where
 * the targets and the note go: every other byte of the user's file (its layout, quoting, comments,
 * line endings) is kept. A new policy document when the text is empty. Pure.
 */
export function applyBaseline(text: string, b: Baseline, note: string): string {
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  const block = (indent: string) => TARGET_KEYS.map((k) => `${indent}${k}: ${b[k]}${nl}`).join('');
  if (!text.trim()) return `apiVersion: engine/v1${nl}kind: Policy${nl}# ${note}${nl}kpi_targets:${nl}${block('  ')}`;
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(doc.errors[0]!.message);
  const top = doc.contents;
  if (top !== null && !isMap(top)) throw new Error('the file is not a policy (its top level is not a map)');
  const edits = top && !top.flow ? editsOf(text, top, b, note, nl, block) : null;
  const out = edits ? applyEdits(text, edits) : null;
  // The edited text must read as the whole-document rewrite would; where it cannot be made so
  // (a flow-style map, an alias), the document is rewritten as a whole.
  return out !== null && setsTargets(out, b) ? out : rewriteWhole(text, b, note);
}

/** The edits that set the targets in a block-style policy map, or null where the layout is not one this edits. */
function editsOf(text: string, top: YAMLMap, b: Baseline, note: string, nl: string, block: (indent: string) => string): Edit[] | null {
  const pair = top.items.find((p) => keyOf(p.key) === 'kpi_targets');
  const noteLine = `# ${note}${nl}`;
  if (!pair) {
    const end = text.endsWith('\n') ? text.length : -1;
    return [{ from: text.length, to: text.length, text: `${end < 0 ? nl : ''}${noteLine}kpi_targets:${nl}${block('  ')}` }];
  }
  const keyNode = pair.key as Node | null;
  if (!keyNode?.range) return null;
  const keyLine = lineStart(text, keyNode.range[0]);
  const edits: Edit[] = [noteEdit(text, keyLine, noteLine)];
  const value = pair.value as Node | null;
  if (value === null || (isScalar(value) && value.value === null)) {
    const after = lineEnd(text, keyNode.range[1]);
    edits.push({ from: after, to: after, text: `${after === text.length && !text.endsWith('\n') ? nl : ''}${block('  ')}` });
    return edits;
  }
  if (!isMap(value) || value.flow || !value.range || !value.items.length) return null;
  const first = value.items[0]!.key as Node | null;
  if (!first?.range) return null;
  const indent = text.slice(lineStart(text, first.range[0]), first.range[0]);
  const missing: string[] = [];
  for (const k of TARGET_KEYS) {
    const p = value.items.find((i) => keyOf(i.key) === k);
    const v = p?.value as Node | null | undefined;
    if (!p) missing.push(`${indent}${k}: ${b[k]}${nl}`);
    else if (v && isScalar(v) && v.range) edits.push({ from: v.range[0], to: v.range[1], text: String(b[k]) });
    else return null;
  }
  if (missing.length) {
    const after = lineEnd(text, value.range[1]);
    edits.push({ from: after, to: after, text: `${after === text.length && !text.endsWith('\n') ? nl : ''}${missing.join('')}` });
  }
  return edits;
}

/** The note goes on the line above `kpi_targets:`, in place of a note an earlier baseline put there. */
function noteEdit(text: string, keyLine: number, noteLine: string): Edit {
  const prevStart = keyLine > 0 ? lineStart(text, keyLine - 1) : keyLine;
  const prev = text.slice(prevStart, keyLine);
  if (keyLine > 0 && /^# set by engine report --baseline /.test(prev)) return { from: prevStart, to: keyLine, text: noteLine };
  return { from: keyLine, to: keyLine, text: noteLine };
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((x, y) => y.from - x.from)) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

/** Whether the text parses to a policy whose `kpi_targets` hold the baseline's targets. */
function setsTargets(text: string, b: Baseline): boolean {
  const doc = parseDocument(text);
  return !doc.errors.length && TARGET_KEYS.every((k) => doc.getIn(['kpi_targets', k]) === b[k]);
}

/** The whole document set and written again by the YAML library (its layout, not the user's). */
function rewriteWhole(text: string, b: Baseline, note: string): string {
  const doc = parseDocument(text);
  for (const k of TARGET_KEYS) doc.setIn(['kpi_targets', k], b[k]);
  const top = doc.contents;
  const pair = isMap(top) ? top.items.find((p) => keyOf(p.key) === 'kpi_targets') : undefined;
  if (pair) {
    const key = isScalar(pair.key) ? pair.key : doc.createNode('kpi_targets');
    key.commentBefore = ` ${note}`;
    (pair as { key: unknown }).key = key;
  }
  return doc.toString();
}

function keyOf(key: unknown): unknown {
  return isScalar(key) ? key.value : key;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset after the newline ending the line that holds `offset` (the text's end on its last line). */
function lineEnd(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const i = text.indexOf('\n', offset);
  return i < 0 ? text.length : i + 1;
}

/**
 * Write the baseline into a policy file (created if missing). Never into the engine's own
 * policies: the defaults stay the seed's until a repo sets its own. Impure.
 */
export function writeBaseline(file: string, b: Baseline, note: string): void {
  const own = path.join(packageRoot, 'policies');
  // Into the file a link leads to (resolveWriteTarget): written at the link's name, the new
  // file replaced the link and the policy it shared was left without the baseline.
  const resolved = resolveWriteTarget(file);
  if ('why' in resolved) throw new Error(resolved.why);
  const real = resolved.target;
  if (real.startsWith(realpathSync(own) + path.sep)) throw new Error(`${file} is one of the engine's own policies; write the baseline into the repo's .engine/policy.yaml or a --policy file`);
  const text = existsSync(real) ? readFileSync(real, 'utf8') : '';
  writeFileAtomic(real, applyBaseline(text, b, note));
}
