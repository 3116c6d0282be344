/**
 * Translation of one legacy codex `exec --json` message (`{id, msg: {type, …}}`, ≤0.43) into
 * normalized events. Pure.
 */
import type { NormalizedEvent } from '../types.js';
import { UnknownCounter, clip, isObject, str, type JsonObject } from './common.js';

export interface LegacyStep {
  events: NormalizedEvent[];
  /** A new answer candidate (agent_message, or task_complete's last_agent_message). */
  answer?: string;
  terminal?: 'completed' | 'failed';
  error?: string;
  warning?: string;
  /** Cumulative token usage reported by token_count. */
  usage?: JsonObject;
}

const QUIET = new Set([
  'task_started',
  'agent_message_delta',
  'agent_reasoning_delta',
  'agent_reasoning_raw_content',
  'agent_reasoning_raw_content_delta',
  'agent_reasoning_section_break',
  'exec_command_output_delta',
  'session_configured',
  'turn_diff',
  'background_event',
  'patch_apply_end',
  'mcp_tool_call_begin',
]);

export function translateLegacyCodex(msg: JsonObject, unknown: UnknownCounter): LegacyStep {
  const type = str(msg.type) ?? 'untyped';
  switch (type) {
    case 'agent_message': {
      const text = str(msg.message) ?? str(msg.text) ?? '';
      return { events: [{ kind: 'message', role: 'assistant', text }], answer: text };
    }
    case 'agent_reasoning':
      return { events: [{ kind: 'reasoning', text: str(msg.text) ?? '' }] };
    case 'exec_command_begin':
      return { events: [{ kind: 'tool_call', name: 'shell', input: { command: msg.command }, id: str(msg.call_id) ?? undefined }] };
    case 'exec_command_end':
      return {
        events: [
          {
            kind: 'command',
            command: Array.isArray(msg.command) ? msg.command.join(' ') : (str(msg.command) ?? ''),
            exit_code: typeof msg.exit_code === 'number' ? msg.exit_code : null,
            output: clip(str(msg.aggregated_output) ?? `${str(msg.stdout) ?? ''}${str(msg.stderr) ?? ''}`, 20000),
          },
        ],
      };
    case 'patch_apply_begin': {
      const changes = isObject(msg.changes)
        ? Object.entries(msg.changes).map(([path, change]) => ({ path, kind: isObject(change) ? (Object.keys(change)[0] ?? 'update') : 'update' }))
        : [];
      return { events: [{ kind: 'file_change', changes }] };
    }
    case 'mcp_tool_call_end':
      return { events: [{ kind: 'tool_result', id: str(msg.call_id) ?? undefined, output: clip(JSON.stringify(msg.result ?? null), 20000) }] };
    case 'token_count': {
      const info = isObject(msg.info) && isObject(msg.info.total_token_usage) ? msg.info.total_token_usage : msg;
      return { events: [], usage: info };
    }
    case 'error': {
      const message = str(msg.message) ?? 'error';
      return { events: [{ kind: 'warning', message }], error: message, warning: message };
    }
    case 'stream_error': {
      const message = str(msg.message) ?? 'stream error';
      return { events: [{ kind: 'warning', message }], warning: message };
    }
    case 'task_complete': {
      const last = str(msg.last_agent_message);
      return { events: [], terminal: 'completed', ...(last !== null ? { answer: last } : {}) };
    }
    case 'turn_aborted':
      return { events: [{ kind: 'error', message: `turn aborted: ${str(msg.reason) ?? ''}`, fatal: true }], terminal: 'failed', error: `turn aborted${msg.reason ? `: ${String(msg.reason)}` : ''}` };
    default:
      if (QUIET.has(type)) return { events: [] };
      return { events: [unknown.note(`msg.${type}`, msg)] };
  }
}
