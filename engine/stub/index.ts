/** The scripted model server (contract §6): the public surface of engine/stub. */
export { startStubModel, type StubModel, type StubModelOptions } from './start-stub-model.js';
export { loadScenario, ScenarioError } from './load-scenario.js';
export { findEngineHeaders, describeHeaders } from './find-engine-headers.js';
export { routeRequest, selectReply } from './route-request.js';
export type { EngineHeaders, Exchange, ModelReply, ModelRequest, Route } from './types.js';
