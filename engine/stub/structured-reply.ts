import type { ModelReply, ModelRequest } from './types.js';
import { parseJson } from '../util/parse-json.js';

/** The tool claude offers under `--json-schema`; its input is the structured answer. */
export const CLAUDE_STRUCTURED_TOOL = 'StructuredOutput';

/** Text of the turn after claude's StructuredOutput call (the CLI asks once more, then ends). */
export const STRUCTURED_DONE_TEXT = 'Done.';

/**
 * A scripted answer in the shape a CLI expects when it asked for native structured output:
 * codex (`--output-schema`: the request's `text.format` is a json_schema) wants the final
 * message to be the JSON object itself; claude (`--json-schema`: a StructuredOutput tool is
 * offered) wants that tool called with the object as its input, else it sends the model an
 * "[structured-output-enforce]" turn and ends without `structured_output`. The object is the
 * scenario's markers block; a turn without a parseable block, or with tool calls of its own,
 * is left as written (a hostile scenario's garbage stays garbage). Pure.
 */
export function shapeStructuredReply(reply: ModelReply, request: ModelRequest, idPrefix: string): ModelReply {
  if (reply.kind !== 'message' || request.structured === null || reply.calls.length > 0) return reply;
  const split = splitMarkersBlock(reply.text);
  if (!split) return reply;
  if (request.structured === 'openai-json-schema') return { ...reply, text: JSON.stringify(split.value) };
  return { kind: 'message', text: split.prose, calls: [{ id: `${idPrefix}_structured`, name: CLAUDE_STRUCTURED_TOOL, input: split.value }] };
}

/**
 * The prose around the last markers block and its JSON object, or null when the text has no
 * complete block whose body is a JSON object (a code fence around it is tolerated). Pure.
 */
export function splitMarkersBlock(text: string): { prose: string; value: Record<string, unknown> } | null {
  const lines = text.split(/\r?\n/);
  const end = lastIndex(lines, (l) => l.trim() === 'END_MARKERS');
  if (end < 0) return null;
  const begin = lastIndex(lines.slice(0, end), (l) => l.trim() === 'BEGIN_MARKERS');
  if (begin < 0) return null;
  const body = lines.slice(begin + 1, end).filter((l) => !/^\s*```/.test(l)).join('\n');
  let value: unknown;
  try {
    value = parseJson(body);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const prose = [...lines.slice(0, begin), ...lines.slice(end + 1)].join('\n').replace(/```\w*\s*$/, '').trim();
  return { prose, value: value as Record<string, unknown> };
}

function lastIndex<T>(items: T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}
