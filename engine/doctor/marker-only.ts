/**
 * Marker-only compliance (contract §4): the probe's final answer must be nothing but the
 * markers block — a line BEGIN_MARKERS, a JSON object, a line END_MARKERS — optionally in one
 * code fence. Anything else around it is drift: a run would still parse the block, but a CLI
 * or model that wraps answers in prose is the first sign its output contract moved. Pure.
 */
import { extractMarkers } from '../workers/extract-markers.js';

export type MarkerOnlyProblem = 'empty' | 'no_block' | 'several_blocks' | 'prose' | 'invalid_block';

export type MarkerOnlyResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; problem: MarkerOnlyProblem; error: string; excerpt: string | null };

const BEGIN = 'BEGIN_MARKERS';
const END = 'END_MARKERS';
const FENCE = /^```[\w-]*$/;

/** Checks that `answer` holds the markers block and nothing else. Pure. */
export function checkMarkerOnly(answer: string): MarkerOnlyResult {
  let lines = answer.split(/\r?\n/).map((l) => l.trim());
  while (lines.length && lines[0] === '') lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) return { ok: false, problem: 'empty', error: 'the final answer is empty', excerpt: null };
  // One fence around the whole answer is tolerated.
  if (lines.length >= 2 && FENCE.test(lines[0]!) && lines[lines.length - 1] === '```') lines = lines.slice(1, -1);
  const begins = lines.filter((l) => l === BEGIN).length;
  const ends = lines.filter((l) => l === END).length;
  if (begins === 0 || ends === 0) return { ok: false, problem: 'no_block', error: 'no markers block (BEGIN_MARKERS … END_MARKERS) in the final answer', excerpt: clip(lines.join(' ')) };
  if (begins > 1 || ends > 1) return { ok: false, problem: 'several_blocks', error: `${Math.max(begins, ends)} markers blocks in the final answer; exactly one is expected`, excerpt: null };
  const first = lines.indexOf(BEGIN);
  const last = lines.indexOf(END);
  const outside = [...lines.slice(0, first), ...lines.slice(last + 1)].filter((l) => l !== '');
  if (outside.length) return { ok: false, problem: 'prose', error: 'the final answer has text outside the markers block', excerpt: clip(outside.join(' ')) };
  const parsed = extractMarkers(lines.slice(first, last + 1).join('\n'));
  if (!parsed.ok) return { ok: false, problem: 'invalid_block', error: parsed.error, excerpt: clip(lines.slice(first + 1, last).join(' ')) };
  return { ok: true, value: parsed.value };
}

/** At most 160 characters of an excerpt, on one line. Pure. */
export function clip(text: string, max = 160): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
