import type { EngineScenario, ScenarioAction } from '../generated/scenario.js';

export type { EngineScenario, ScenarioAction };

/** The engine header block of a prompt (contract §4), values as written. */
export interface EngineHeaders {
  phase: string;
  contract?: string;
  step?: string;
  milestone?: string;
  attempt?: string;
  repairOf?: string;
}

/** Which wire API a request came in on. */
export type ModelApi = 'anthropic' | 'openai';

/** What the router needs to know about one model request, read from its body. */
export interface ModelRequest {
  api: ModelApi;
  /** The last engine header block in the user content, or null for the CLI's own housekeeping. */
  headers: EngineHeaders | null;
  /** Model turns already taken since the prompt that carries the headers. */
  turnIndex: number;
  /** The CLI's working directory as it tells the model, when it does. */
  cwd: string | null;
  stream: boolean;
  model: string;
  /** Names of the tools the CLI offers. */
  tools: string[];
  /**
   * The native structured output the CLI asked for: claude's StructuredOutput tool
   * (`--json-schema`), codex's `text.format` json_schema (`--output-schema`), or null.
   */
  structured: 'claude-tool' | 'openai-json-schema' | null;
  /** The model's last turn ended with a call of claude's StructuredOutput tool. */
  afterStructured?: boolean;
}

/** One tool call in API-neutral form, ready to be rendered. */
export interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

/** What the server answers, before it is rendered into an API's wire format. */
export type ModelReply =
  | { kind: 'message'; text: string; calls: ToolCall[] }
  | { kind: 'error'; status: number; errorType: string; message: string };

/** How the router decided. */
export type Route =
  | { kind: 'housekeeping' }
  | { kind: 'turn'; replyIndex: number; turnIndex: number; turnCount: number }
  /** The turn after claude's StructuredOutput call: the answer is in, a short text ends it. */
  | { kind: 'structured_done' }
  | { kind: 'uncovered'; message: string };

/** One request/response pair, as logged. */
export interface Exchange {
  seq: number;
  method: string;
  path: string;
  api: ModelApi | null;
  headers: EngineHeaders | null;
  turnIndex: number | null;
  route: Route | { kind: 'endpoint' };
  status: number;
  reply: ModelReply | { kind: 'json'; body: unknown } | null;
}
