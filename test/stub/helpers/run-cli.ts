import { execa } from 'execa';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../../engine/paths.js';

/** The pinned CLIs of the package. */
export const claudeBin = path.join(packageRoot, 'node_modules', '.bin', 'claude');
export const codexBin = path.join(packageRoot, 'node_modules', '.bin', 'codex');

/** Generous: real processes, never a timing assert. */
const CLI_TIMEOUT_MS = 120_000;

export interface CliRun {
  argv: string[];
  env: Record<string, string>;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** stdout lines that parse as JSON objects. */
  events: Record<string, unknown>[];
}

/** A fresh temp dir for a working directory or a CLI home. */
export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `engine-${prefix}-`));
}

/** A prompt with the engine header block in front (contract §4). */
export function enginePrompt(h: { phase: string; step: string; milestone?: string; attempt?: number; repairOf?: string }, body: string): string {
  const lines = [`engine-phase: ${h.phase}`, 'engine-contract: 1', `engine-step: ${h.step}`, `engine-milestone: ${h.milestone ?? '-'}`, `engine-attempt: ${h.attempt ?? 1}`];
  if (h.repairOf) lines.push(`engine-repair-of: ${h.repairOf}`);
  return `${lines.join('\n')}\n\n${body}`;
}

/** The environment claude needs against the scripted model, with its state kept in `home`. */
export function claudeEnv(origin: string, home: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: origin,
    ANTHROPIC_API_KEY: 'dummy',
    CLAUDE_CONFIG_DIR: home,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
}

/** Run `claude -p` (stream-json) against the scripted model. Extra args go before the prompt. */
export async function runClaude(o: { origin: string; home: string; cwd: string; prompt: string; args?: string[] }): Promise<CliRun> {
  const argv = ['-p', o.prompt, '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits', '--allowedTools', 'Bash', ...(o.args ?? [])];
  const env = claudeEnv(o.origin, o.home);
  return run(claudeBin, argv, o.cwd, env, ['CLAUDECODE']);
}

/** Write a private CODEX_HOME whose config points codex at the scripted model. */
export async function writeCodexHome(home: string, origin: string): Promise<void> {
  await mkdir(path.join(home, 'tmp'), { recursive: true });
  const toml = [
    'model_provider = "engine"',
    'model = "engine-scripted"',
    '',
    '[model_providers.engine]',
    'name = "engine"',
    `base_url = "${origin}/v1"`,
    'env_key = "OPENAI_API_KEY"',
    'wire_api = "responses"',
    '',
  ].join('\n');
  await writeFile(path.join(home, 'config.toml'), toml);
}

/**
 * The environment codex needs against the scripted model (config in `home`). TMPDIR inside
 * the home, as the engine's codex worker does: with CODEX_HOME under the temp dir and a system
 * `bwrap` on PATH, codex 0.169.0's own sandbox fails every write (docs/governance.md).
 */
export function codexEnv(home: string, tmpdir = path.join(home, 'tmp')): Record<string, string> {
  return { CODEX_HOME: home, OPENAI_API_KEY: 'dummy', TMPDIR: tmpdir };
}

/** Run `codex exec --json` with stdin closed; `args` replace the default sub-command arguments. */
export async function runCodex(o: { home: string; cwd: string; prompt: string; resume?: string; tmpdir?: string }): Promise<CliRun> {
  const common = ['--json', '--skip-git-repo-check'];
  const argv = o.resume
    ? ['exec', 'resume', ...common, o.resume, o.prompt]
    : ['exec', ...common, '--sandbox', 'workspace-write', o.prompt];
  return run(codexBin, argv, o.cwd, codexEnv(o.home, o.tmpdir), ['OPENAI_BASE_URL', 'CODEX_API_KEY']);
}

async function run(bin: string, argv: string[], cwd: string, env: Record<string, string>, unset: string[]): Promise<CliRun> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const key of unset) childEnv[key] = undefined;
  const r = await execa(bin, argv, { cwd, env: childEnv, extendEnv: false, stdin: 'ignore', reject: false, timeout: CLI_TIMEOUT_MS, stripFinalNewline: false });
  const stdout = String(r.stdout ?? '');
  return { argv, env, exitCode: r.exitCode, stdout, stderr: String(r.stderr ?? ''), events: parseJsonLines(stdout) };
}

/** The stdout lines that are JSON objects, in order. Pure. */
export function parseJsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // noise lines are allowed on stdout
    }
  }
  return out;
}
