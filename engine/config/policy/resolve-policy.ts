import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../paths.js';
import type { Diagnostic } from '../../vocabulary/diagnostics.js';
import { hasErrors } from '../../vocabulary/diagnostics.js';
import { loadConfigFile } from '../load-file.js';
import { loadValidator } from '../validators.js';
import { checkPolicyValue, checkSetLayer, setLayerData } from './check-set.js';
import { hashPolicy } from './hash-policy.js';
import { dottedKey, mergeLayers, type MergeLayer } from './merge-layers.js';
import { isDiagnostic, parseSet } from './parse-set.js';
import type { PolicyLayerInfo, Provenance, ResolvedPolicy } from './resolved-policy.js';

export interface ResolvePolicyOptions {
  /** The target repo; its `.engine/policy.yaml` is a layer when present. */
  repo?: string;
  /** Each `--policy FILE`, in order (relative to cwd). */
  files: string[];
  /** Each `--set KEY=VALUE`, in order. */
  sets: string[];
  cwd: string;
  /** Where the user layer is looked up (XDG_CONFIG_HOME, HOME); default: the process's. */
  env?: NodeJS.ProcessEnv;
  /** The user layer's file instead of the one found from `env`; null for none (a snapshot without one). */
  userFile?: string | null;
  /** The lowest layer's file (default: the engine's built-in policy); a run's config snapshot names its copy. */
  defaultFile?: string;
  /** The repo layer's file instead of `<repo>/.engine/policy.yaml`; null for none (a snapshot without one). */
  repoFile?: string | null;
}

export interface ResolvedPolicyResult {
  policy: ResolvedPolicy | null;
  /** `sha256:…` of the effective policy; empty when there is none. */
  hash: string;
  layers: PolicyLayerInfo[];
  /** Where each effective leaf (dotted key) came from. */
  provenance: Map<string, Provenance>;
  diagnostics: Diagnostic[];
}

/** The built-in lowest layer. */
export const defaultPolicyFile = path.join(packageRoot, 'policies', 'default.policy.yaml');

/**
 * The user's own layer, `${XDG_CONFIG_HOME:-~/.config}/engine/policy.yaml` (a relative
 * XDG_CONFIG_HOME is ignored, as the XDG spec says), or null without a home. Pure.
 */
export function userPolicyFile(env: NodeJS.ProcessEnv): string | null {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg && path.isAbsolute(xdg) ? xdg : env['HOME'] ? path.join(env['HOME'], '.config') : null;
  return base === null ? null : path.join(base, 'engine', 'policy.yaml');
}

/**
 * The effective policy: built-in defaults < the user's `~/.config/engine/policy.yaml` <
 * `<repo>/.engine/policy.yaml` < each `--policy` file < each `--set`. Each layer is checked on its own (so positions are its own), then
 * the merged result. `policy` is null when any layer has an error. Impure: reads files.
 */
export async function resolvePolicy(options: ResolvePolicyOptions): Promise<ResolvedPolicyResult> {
  const validator = await loadValidator('policy');
  if (!validator) throw new Error('the engine package has no schemas/policy.schema.json');
  const lowest = options.defaultFile ?? defaultPolicyFile;
  const files: { source: string; file: string; shown: string }[] = [{ source: 'default', file: lowest, shown: lowest }];
  const userFile = options.userFile !== undefined ? options.userFile : userPolicyFile(options.env ?? process.env);
  if (userFile !== null && existsSync(userFile)) files.push({ source: 'user', file: userFile, shown: userFile });
  if (options.repoFile !== undefined) {
    if (options.repoFile !== null) files.push({ source: 'repo', file: options.repoFile, shown: options.repoFile });
  } else if (options.repo !== undefined) {
    const repoFile = path.join(path.resolve(options.cwd, options.repo), '.engine', 'policy.yaml');
    if (existsSync(repoFile)) files.push({ source: 'repo', file: repoFile, shown: path.relative(options.cwd, repoFile) || repoFile });
  }
  for (const f of options.files) files.push({ source: '--policy', file: path.resolve(options.cwd, f), shown: f });

  const diagnostics: Diagnostic[] = [];
  const layers: MergeLayer[] = [];
  for (const f of files) {
    const loaded = await loadConfigFile(f.file, { expectKind: 'Policy' });
    diagnostics.push(...loaded.diagnostics.map((d) => ({ ...d, file: f.shown })));
    if (loaded.data) layers.push({ source: f.source, file: f.shown, data: loaded.data as Record<string, unknown>, locate: loaded.locate });
  }
  for (const text of options.sets) {
    const assignment = parseSet(text);
    if (isDiagnostic(assignment)) {
      diagnostics.push(assignment);
      continue;
    }
    const problems = checkSetLayer(assignment, validator);
    diagnostics.push(...problems);
    if (!hasErrors(problems)) layers.push({ source: '--set', flag: assignment.text, data: setLayerData(assignment) });
  }

  const { policy, provenance } = mergeLayers(layers);
  const info: PolicyLayerInfo[] = layers.map((l) => ({ source: l.source, ...(l.file !== undefined ? { file: l.file } : {}) }));
  if (!hasErrors(diagnostics)) diagnostics.push(...checkMerged(policy, provenance, validator));
  if (hasErrors(diagnostics)) return { policy: null, hash: '', layers: info, provenance, diagnostics };
  return { policy: policy as ResolvedPolicy, hash: hashPolicy(policy), layers: info, provenance, diagnostics };
}

/** Validate the merged policy; a problem is reported where its value was written. */
function checkMerged(policy: Record<string, unknown>, provenance: Map<string, Provenance>, validator: NonNullable<Awaited<ReturnType<typeof loadValidator>>>): Diagnostic[] {
  // Its rules too (globs): each layer was checked alone, but the user's policy layer or a
  // layer without a file of its own reaches the run only through this merge.
  return checkPolicyValue(policy, validator, 'policy').map((d) => {
    const keys = (d.pointer ?? '').split('/').slice(1);
    for (let n = keys.length; n > 0; n--) {
      const p = provenance.get(dottedKey(keys.slice(0, n)));
      if (p) return { ...d, file: p.file ?? `--set ${p.flag ?? ''}`.trim(), line: p.line ?? 0, col: p.col ?? 0 };
    }
    return { ...d, file: 'merged policy' };
  });
}
