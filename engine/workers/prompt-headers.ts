/**
 * The engine header block of a prompt (contract §4), written and read back. Pure.
 */
import type { Phase } from './types.js';
import { contractVersion } from '../version.js';

export interface PromptHeaders {
  phase: Phase;
  step: string;
  /** 1-based milestone index, or null outside milestones (written `-`). */
  milestone: number | null;
  attempt: number;
  /** For a repair prompt: the phase whose answer is repaired. */
  repairOf?: string | null;
}

export const CONTRACT_VERSION = contractVersion;

export function formatHeaders(h: PromptHeaders): string {
  const lines = [
    `engine-phase: ${h.phase}`,
    `engine-contract: ${CONTRACT_VERSION}`,
    `engine-step: ${h.step}`,
    `engine-milestone: ${h.milestone === null ? '-' : h.milestone}`,
    `engine-attempt: ${h.attempt}`,
  ];
  if (h.phase === 'repair' || h.repairOf) lines.push(`engine-repair-of: ${h.repairOf ?? '-'}`);
  return lines.join('\n');
}

/**
 * The LAST header block of a text (a CLI may wrap the prompt in its own context): from its
 * last `engine-phase:` line through the `engine-*` lines after it. Found from that line alone:
 * reading a block from every `engine-phase:` line read a recorded prompt of 20,000 of them in
 * time proportional to the square of its length (21 s of CPU for 380 KB). Pure.
 */
export function parseHeaders(text: string): Record<string, string> | null {
  const lines = text.split(/\r?\n/);
  let start = -1;
  for (let i = lines.length - 1; i >= 0 && start < 0; i--) if (lines[i]!.startsWith('engine-phase: ')) start = i;
  if (start < 0) return null;
  const block: Record<string, string> = {};
  for (let j = start; j < lines.length; j++) {
    const m = /^engine-([a-z-]+): (.*)$/.exec(lines[j]!);
    if (!m) break;
    block[m[1]!] = m[2]!.trim();
  }
  return block;
}
