/**
 * The configuration layer: YAML files with positions, checked in three named stages
 * (parse, schema, rules), and the layered policy with provenance. What the runtime and the
 * CLI import.
 */
export type { Diagnostic, Severity } from '../vocabulary/diagnostics.js';
export { formatDiagnostic, hasErrors } from '../vocabulary/diagnostics.js';
export type { DocPath, Rule, RuleContext } from '../vocabulary/rule-context.js';
export { KINDS, isKind, type Kind } from './kinds.js';
export { parseSource, type ParsedSource, type Position } from './parse-source.js';
export { detectKind, checkDocument } from './check-document.js';
export { loadConfigFile, checkText, type LoadedFile, type LoadOptions } from './load-file.js';
export { loadPipeline, loadTask, type Loaded } from './load-typed.js';
export { loadValidator, type Validator } from './validators.js';
export { listSchemaNames, schemaFile, readSchemaText } from './schema-files.js';
export { resolvePolicy, defaultPolicyFile, type ResolvePolicyOptions, type ResolvedPolicyResult } from './policy/resolve-policy.js';
export type { ResolvedPolicy, Provenance, PolicyLayerInfo } from './policy/resolved-policy.js';
export { ALWAYS_PROTECTED } from './policy/resolved-policy.js';
export { parseSet, isDiagnostic, type SetAssignment } from './policy/parse-set.js';
export { mergeLayers, leavesOf, type MergeLayer } from './policy/merge-layers.js';
export { hashPolicy, canonicalJson } from './policy/hash-policy.js';
export { explainPolicy, renderExplain, describeOrigin, type ExplainedValue } from './policy/explain-policy.js';
