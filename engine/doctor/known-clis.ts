/**
 * Whether a worker CLI's version prints an output dialect the engine's parsers know, from
 * the facts its plugin carries (`cli`: ranges and verified versions, engine/workers/types.ts).
 * A version outside every range is contract drift: the doctor blocks with the ranges it
 * knows. Pure functions.
 */
import type { CheckStatus } from './types.js';
import type { CliFacts, DialectRange } from '../workers/types.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

export interface VersionJudgement {
  status: CheckStatus;
  dialect: string | null;
  message: string;
  hint: string | null;
}

/** Whether a version of the CLI `cli` (a plugin's name) prints a dialect the parsers know. Pure. */
export function judgeCliVersion(cli: string, known: CliFacts, version: string, doctorLive = engineCommandAnywhere('doctor --live')): VersionJudgement {
  const newest = known.verified[known.verified.length - 1]!;
  const range = known.ranges.find((r) => compareVersions(version, r.from) >= 0 && (r.below === null || compareVersions(version, r.below) < 0));
  const pin = `pin the verified version (\`npm i -D ${known.pkg}@${newest}\` in your project) or set the worker's \`bin\` to a CLI of a known version`;
  if (!range) {
    return {
      status: 'block',
      dialect: null,
      message: `${cli} ${version} is outside the versions whose output the engine can parse (${describeRanges(known.ranges)}): worker contract drift`,
      hint: pin,
    };
  }
  if (known.verified.includes(version)) return { status: 'ok', dialect: range.dialect, message: `${cli} ${version}, dialect ${range.dialect} (verified)`, hint: null };
  if (compareVersions(version, newest) > 0) {
    return {
      status: 'warn',
      dialect: range.dialect,
      message: `${cli} ${version} is newer than the newest verified ${newest}; its output should be ${range.dialect}`,
      hint: `run \`${doctorLive}\` to check the output contract with one probe call, or ${pin}`,
    };
  }
  return { status: 'ok', dialect: range.dialect, message: `${cli} ${version}, dialect ${range.dialect}`, hint: null };
}

/** `0.1.0–0.44.0 (codex-legacy), …`. Pure. */
export function describeRanges(ranges: readonly DialectRange[]): string {
  return ranges.map((r) => `${r.below ? `${r.from} to below ${r.below}` : `${r.from} and later`}: ${r.dialect}`).join('; ');
}

/** Compares two semvers by major.minor.patch (a pre-release sorts before its release). Pure. */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < 3; i++) if (pa.nums[i] !== pb.nums[i]) return pa.nums[i]! < pb.nums[i]! ? -1 : 1;
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === null) return 1;
  if (pb.pre === null) return -1;
  return pa.pre < pb.pre ? -1 : 1;
}

function parts(v: string): { nums: number[]; pre: string | null } {
  const [core = '', pre] = v.split('-', 2);
  const nums = core.split('.').map((n) => Number.parseInt(n, 10) || 0);
  while (nums.length < 3) nums.push(0);
  return { nums, pre: pre ?? null };
}
