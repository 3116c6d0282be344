import path from 'node:path';
import { shellQuote } from '../util/shell-quote.js';
import type { ScenarioAction } from './types.js';

/** A tool call before it gets an id: the CLI's tool name and its input. */
export interface ToolUse {
  name: string;
  input: Record<string, unknown>;
}

/**
 * claude's own tools for a scenario action: `Write {file_path, content}`, `Edit {file_path,
 * old_string, new_string}`, `Bash {command}`. claude wants absolute paths, so relative paths
 * are resolved against the working directory it announced. Pure.
 */
export function toClaudeToolUse(action: ScenarioAction, cwd: string | null): ToolUse {
  const abs = (p: string) => (path.isAbsolute(p) || cwd === null ? p : path.join(cwd, p));
  if (action.write) return { name: 'Write', input: { file_path: abs(action.write.path), content: action.write.content } };
  if (action.edit) {
    return {
      name: 'Edit',
      input: { file_path: abs(action.edit.path), old_string: action.edit.old, new_string: action.edit.new },
    };
  }
  if (action.run) return { name: 'Bash', input: { command: action.run.cmd, description: `Run ${firstWord(action.run.cmd)}` } };
  throw new Error(`scenario action has none of write, edit, run: ${JSON.stringify(action)}`);
}

/** The longest codex 0.169 waits on a command before answering the model (its MAX_YIELD_TIME_MS). */
export const CODEX_MAX_YIELD_MS = 30_000;

/**
 * codex's shell tool for a scenario action: `exec_command {cmd, login: false, yield_time_ms}`
 * (no login shell, so the user's profile adds no noise). codex hands a command that is still
 * running back to the model after `yield_time_ms` (10 s by default, 30 s at most) and lets it
 * run on; the scripted model asks for the most, so a slow command's output reaches the next
 * turn whole and a command that hangs keeps the CLI silent long enough for the engine's idle
 * limit to see it. Writes go through an `apply_patch` heredoc,
 * which codex intercepts, applies itself and reports as a file_change, as it does for a real
 * model; content without a final newline goes through printf instead so the bytes stay
 * exact. Edits replace one exact occurrence with a small node script (node is on PATH
 * wherever the engine runs). Pure.
 */
export function toCodexToolUse(action: ScenarioAction): ToolUse {
  return { name: 'exec_command', input: { cmd: toShellCommand(action), login: false, yield_time_ms: CODEX_MAX_YIELD_MS } };
}

/** The shell command line that performs an action. Pure. */
export function toShellCommand(action: ScenarioAction): string {
  if (action.run) return action.run.cmd;
  if (action.write) return writeCommand(action.write.path, action.write.content);
  if (action.edit) return editCommand(action.edit.path, action.edit.old, action.edit.new);
  throw new Error(`scenario action has none of write, edit, run: ${JSON.stringify(action)}`);
}

function writeCommand(file: string, content: string): string {
  if (content.endsWith('\n')) return applyPatchAdd(file, content);
  const dir = path.posix.dirname(file);
  const mkdir = dir === '.' || dir === '/' ? '' : `mkdir -p ${shellQuote(dir)} && `;
  return `${mkdir}printf '%s' ${shellQuote(content)} > ${shellQuote(file)}`;
}

const PATCH_EOF = 'ENGINE_PATCH_EOF';

function applyPatchAdd(file: string, content: string): string {
  const lines = content.slice(0, -1).split('\n').map((l) => `+${l}`);
  return [`apply_patch <<'${PATCH_EOF}'`, '*** Begin Patch', `*** Add File: ${file}`, ...lines, '*** End Patch', PATCH_EOF].join('\n');
}

const EDIT_SCRIPT =
  'const fs=require("fs");const[f,o,n]=process.argv.slice(1);const s=fs.readFileSync(f,"utf8");' +
  'const i=s.indexOf(o);if(i<0){console.error("edit: text not found in "+f);process.exit(1)}' +
  'fs.writeFileSync(f,s.slice(0,i)+n+s.slice(i+o.length))';

function editCommand(file: string, oldText: string, newText: string): string {
  return `node -e ${shellQuote(EDIT_SCRIPT)} ${shellQuote(file)} ${shellQuote(oldText)} ${shellQuote(newText)}`;
}

function firstWord(cmd: string): string {
  return cmd.trim().split(/\s+/)[0] ?? 'command';
}
