/**
 * The parser for a recorded dialect name (meta.json `dialect`), used by the replay worker to
 * read a call with the parser of the CLI that produced it. Pure.
 */
import type { StreamParser } from '../types.js';
import { createClaudeJsonParser, createClaudeStreamParser } from './claude-stream-json.js';
import { createCodexParser } from './codex-exec-json.js';
import { createCommandParser } from './command-output.js';

export const DIALECTS = [
  'codex-exec-json',
  'codex-exec-json-experimental',
  'codex-legacy',
  'claude-stream-json',
  'claude-json',
  'command-text',
  'command-json',
  'command-jsonl',
] as const;

export function createParserForDialect(dialect: string): StreamParser | null {
  if (dialect.startsWith('codex')) return createCodexParser();
  if (dialect === 'claude-stream-json') return createClaudeStreamParser();
  if (dialect === 'claude-json') return createClaudeJsonParser();
  if (dialect === 'command-text') return createCommandParser('text');
  if (dialect === 'command-json') return createCommandParser('json');
  if (dialect === 'command-jsonl') return createCommandParser('jsonl');
  return null;
}
