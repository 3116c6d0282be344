import type { DocPath } from '../../vocabulary/rule-context.js';
import type { Position } from '../parse-source.js';
import { ALWAYS_PROTECTED, type Provenance } from './resolved-policy.js';

/** One layer ready to merge: its data (schema-valid) and where its values are written. */
export interface MergeLayer {
  source: string;
  file?: string;
  flag?: string;
  data: Record<string, unknown>;
  locate?: (path: DocPath) => Position;
}

/** Keys that describe the file, not the policy: never merged, never hashed. */
const FILE_KEYS = new Set(['$schema', 'apiVersion', 'kind']);

/**
 * Merge policy layers, lowest first: maps merge key by key; lists and scalars replace. Every
 * effective leaf (a scalar, null or list) records the layer and position it came from. The
 * fixed protected paths are added last. Pure.
 */
export function mergeLayers(layers: readonly MergeLayer[]): { policy: Record<string, unknown>; provenance: Map<string, Provenance> } {
  const policy: Record<string, unknown> = { apiVersion: 'engine/v1', kind: 'Policy' };
  const provenance = new Map<string, Provenance>();
  for (const layer of layers) {
    const body = Object.fromEntries(Object.entries(layer.data).filter(([k]) => !FILE_KEYS.has(k)));
    mergeInto(policy, body, [], layer, provenance);
  }
  addAlwaysProtected(policy);
  return { policy, provenance };
}

/** The policy without the keys that only describe the file. Pure. */
export function policyBody(policy: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(policy).filter(([k]) => !FILE_KEYS.has(k)));
}

/** Dotted key of a path. Pure. */
export function dottedKey(path: DocPath): string {
  return path.join('.');
}

/** Every leaf of a policy with its dotted key, in key order as written. Pure. */
export function leavesOf(value: unknown, path: string[] = []): { key: string; path: string[]; value: unknown }[] {
  if (!isMap(value)) return [{ key: dottedKey(path), path, value }];
  return Object.entries(value).flatMap(([k, v]) => (path.length === 0 && FILE_KEYS.has(k) ? [] : leavesOf(v, [...path, k])));
}

function mergeInto(target: Record<string, unknown>, over: Record<string, unknown>, path: string[], layer: MergeLayer, provenance: Map<string, Provenance>): void {
  for (const [key, value] of Object.entries(over)) {
    const at = [...path, key];
    if (isMap(value) && isMap(target[key])) {
      mergeInto(target[key] as Record<string, unknown>, value, at, layer, provenance);
      continue;
    }
    for (const k of [...provenance.keys()]) if (k === dottedKey(at) || k.startsWith(`${dottedKey(at)}.`)) provenance.delete(k);
    target[key] = structuredClone(value);
    for (const leaf of leavesOf(value, at)) provenance.set(leaf.key, origin(layer, leaf.path));
  }
}

function origin(layer: MergeLayer, path: string[]): Provenance {
  const pos = layer.locate?.(path);
  return {
    source: layer.source,
    ...(layer.file !== undefined ? { file: layer.file } : {}),
    ...(pos && pos.line > 0 ? { line: pos.line, col: pos.col } : {}),
    ...(layer.flag !== undefined ? { flag: layer.flag } : {}),
  };
}

function addAlwaysProtected(policy: Record<string, unknown>): void {
  const governance = isMap(policy['governance']) ? policy['governance'] : (policy['governance'] = {});
  const current = Array.isArray(governance['protected']) ? (governance['protected'] as unknown[]) : [];
  governance['protected'] = [...ALWAYS_PROTECTED, ...current.filter((p) => !(ALWAYS_PROTECTED as readonly unknown[]).includes(p))];
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
