import { describeHeaders } from './find-engine-headers.js';
import type { EngineHeaders, EngineScenario, ModelRequest, Route } from './types.js';
import type { ScenarioReply } from '../generated/scenario.js';

/**
 * Decide how to answer one request: housekeeping (no engine headers), the next turn of the
 * first reply entry that matches the headers, or an uncovered request whose message names
 * the scenario file and the headers. Pure.
 */
export function routeRequest(scenario: EngineScenario, scenarioFile: string, request: ModelRequest): Route {
  const headers = request.headers;
  if (!headers) return { kind: 'housekeeping' };
  const replyIndex = selectReply(scenario, headers);
  if (replyIndex < 0) {
    return {
      kind: 'uncovered',
      message: `engine scripted model: scenario ${scenarioFile} (${scenario.name}) has no reply for ${describeHeaders(headers)}`,
    };
  }
  const turns = scenario.replies[replyIndex]!.turns;
  if (request.turnIndex >= turns.length && request.afterStructured) return { kind: 'structured_done' };
  if (request.turnIndex >= turns.length) {
    return {
      kind: 'uncovered',
      message:
        `engine scripted model: scenario ${scenarioFile} (${scenario.name}) reply #${replyIndex + 1} has ${turns.length} turn(s), ` +
        `the CLI asked for turn ${request.turnIndex + 1} for ${describeHeaders(headers)}`,
    };
  }
  return { kind: 'turn', replyIndex, turnIndex: request.turnIndex, turnCount: turns.length };
}

/** Index of the first reply entry whose every given field matches the headers, or -1. Pure. */
export function selectReply(scenario: EngineScenario, headers: EngineHeaders): number {
  return scenario.replies.findIndex((reply) => matchesReply(reply, headers));
}

/** True when every field the entry gives equals the header's value. Pure. */
export function matchesReply(reply: ScenarioReply, h: EngineHeaders): boolean {
  if (reply.phase !== undefined && reply.phase !== h.phase) return false;
  if (reply.step !== undefined && reply.step !== h.step) return false;
  if (reply.milestone !== undefined && String(reply.milestone) !== (h.milestone ?? '-')) return false;
  if (reply.attempt !== undefined && String(reply.attempt) !== h.attempt) return false;
  if (reply.repair_of !== undefined && reply.repair_of !== h.repairOf) return false;
  return true;
}
