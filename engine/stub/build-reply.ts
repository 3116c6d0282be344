import { shapeStructuredReply, STRUCTURED_DONE_TEXT } from './structured-reply.js';
import { toClaudeToolUse, toCodexToolUse } from './translate-actions.js';
import type { EngineScenario, ModelReply, ModelRequest, Route } from './types.js';

/** Text of the minimal reply to the CLIs' own housekeeping requests (titles, probes). */
export const HOUSEKEEPING_TEXT = 'ok';

/**
 * The API-neutral reply for a routed request. Tool-call ids are `<prefix>_<n>` so a run is
 * reproducible from the exchange counter alone. Pure.
 */
export function buildReply(scenario: EngineScenario, route: Route, request: ModelRequest, idPrefix: string): ModelReply {
  if (route.kind === 'housekeeping') return { kind: 'message', text: HOUSEKEEPING_TEXT, calls: [] };
  if (route.kind === 'structured_done') return { kind: 'message', text: STRUCTURED_DONE_TEXT, calls: [] };
  if (route.kind === 'uncovered') {
    return { kind: 'error', status: 400, errorType: 'invalid_request_error', message: route.message };
  }
  const turn = scenario.replies[route.replyIndex]!.turns[route.turnIndex]!;
  if (turn.error) {
    const status = turn.error.status ?? 400;
    return { kind: 'error', status, errorType: status >= 500 ? 'api_error' : 'invalid_request_error', message: turn.error.message };
  }
  const calls = (turn.actions ?? []).map((action, i) => {
    const use = request.api === 'anthropic' ? toClaudeToolUse(action, request.cwd) : toCodexToolUse(action);
    return { id: `${idPrefix}_${i + 1}`, ...use };
  });
  return shapeStructuredReply({ kind: 'message', text: turn.text ?? '', calls }, request, idPrefix);
}
