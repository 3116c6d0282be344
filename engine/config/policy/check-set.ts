import type { Diagnostic } from '../../vocabulary/diagnostics.js';
import { diagnoseSchemaErrors } from '../schema-check.js';
import { hasErrors } from '../../vocabulary/diagnostics.js';
import { runRules, type Rule } from '../../vocabulary/rule-context.js';
import { policyGlobs } from '../policy-rules.js';
import type { Validator } from '../validators.js';
import type { SetAssignment } from './parse-set.js';

/** The policy layer one `--set` makes: `a.b=1` → `{a: {b: 1}}`. Pure. */
export function setLayerData(assignment: SetAssignment): Record<string, unknown> {
  let value: unknown = assignment.value;
  for (const key of [...assignment.path].reverse()) value = { [key]: value };
  return value as Record<string, unknown>;
}

/**
 * Check a `--set` layer against the policy schema on its own: an unknown key path is
 * E_UNKNOWN_KEY with a did-you-mean, a wrong value E_SCHEMA; the source is `--set`. Pure.
 */
export function checkSetLayer(assignment: SetAssignment, validator: Validator): Diagnostic[] {
  const data = { apiVersion: 'engine/v1', kind: 'Policy', ...setLayerData(assignment) };
  if (['apiVersion', 'kind', '$schema'].includes(assignment.path[0]!)) {
    return [{ code: 'E_UNKNOWN_KEY', severity: 'error', message: `--set ${assignment.text}: \`${assignment.path[0]}\` is not a policy key`, file: '--set', line: 0, col: 0 }];
  }
  return checkPolicyValue(data, validator, '--set').map((d) => ({ ...d, message: `--set ${assignment.text}: ${d.message}` }));
}

/**
 * A policy that is no file's (a `--set` layer, the merged policy) checked as a file's is: the
 * schema, then, once its shape holds, the policy's rules (its globs). Without positions:
 * the caller says where each value came from. Pure.
 */
export function checkPolicyValue(data: Record<string, unknown>, validator: Validator, file: string): Diagnostic[] {
  const nowhere = () => ({ line: 0, col: 0 });
  const schema = diagnoseSchemaErrors(validator.validate(data), validator.schema, { file, data, locate: nowhere, locateKey: nowhere });
  return hasErrors(schema) ? schema : runRules([policyGlobs as Rule<unknown>], file, data, nowhere);
}
