/**
 * Which versions of the worker CLIs print an output dialect the engine's parsers know
 * (engine/workers/parse), and which versions were checked against them end to end. A
 * version outside every known range is contract drift: the doctor blocks with the ranges it
 * knows. Pure data and pure functions.
 */
import type { CheckStatus } from './types.js';

export interface DialectRange {
  /** Inclusive lower bound. */
  from: string;
  /** Exclusive upper bound, or null for open. */
  below: string | null;
  dialect: string;
}

export interface KnownCli {
  /** The npm package that ships the CLI, for the hint. */
  pkg: string;
  ranges: DialectRange[];
  /** Versions run end to end against the scripted model (test/e2e): the newest is pinned. */
  verified: string[];
}

export const KNOWN_CLIS: Readonly<Record<'codex' | 'claude', KnownCli>> = {
  codex: {
    pkg: '@openai/codex',
    ranges: [
      { from: '0.1.0', below: '0.41.0', dialect: 'codex-legacy' },
      { from: '0.41.0', below: '0.44.0', dialect: 'codex-exec-json-experimental' },
      { from: '0.44.0', below: '1.0.0', dialect: 'codex-exec-json' },
    ],
    verified: ['0.169.0'],
  },
  claude: {
    pkg: '@anthropic-ai/claude-code',
    ranges: [{ from: '1.0.0', below: '3.0.0', dialect: 'claude-stream-json' }],
    verified: ['2.1.197'],
  },
};

export interface VersionJudgement {
  status: CheckStatus;
  dialect: string | null;
  message: string;
  hint: string | null;
}

/** Whether a CLI version prints a dialect the parsers know. Pure. */
export function judgeCliVersion(cli: 'codex' | 'claude', version: string): VersionJudgement {
  const known = KNOWN_CLIS[cli];
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
      hint: `run \`engine doctor --live\` to check the output contract with one probe call, or ${pin}`,
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
