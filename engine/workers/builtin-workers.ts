/**
 * Questions to the built-in workers (registry.ts): which names there are, which plugin a
 * name is, which of them take a model endpoint or have native structured output, which
 * parser reads a recorded dialect. The list is read on first use, not at load: the replay
 * plugin asks for parsers from inside the registry. Pure.
 */
import * as registry from './registry.js';
import type { BuiltinWorker, StreamParser } from './types.js';
import { compareText } from '../util/compare-text.js';

let list: readonly BuiltinWorker[] | null = null;

/** Every built-in plugin, in name order. Fails on two with one name (an engine bug). */
export function builtinWorkers(): readonly BuiltinWorker[] {
  if (list) return list;
  const all: BuiltinWorker[] = Object.values(registry);
  all.sort((a, b) => compareText(a.name, b.name));
  const twice = all.find((p, i) => i > 0 && all[i - 1]!.name === p.name);
  if (twice) throw new Error(`two built-in worker plugins are named "${twice.name}" (engine/workers/registry.ts)`);
  list = all;
  return list;
}

export function builtinWorkerNames(): string[] {
  return builtinWorkers().map((p) => p.name);
}

/** The built-in plugin a `use:` names, or null (a module path, a typo). */
export function builtinWorker(use: string): BuiltinWorker | null {
  return builtinWorkers().find((p) => p.name === use) ?? null;
}

/** The worker's plugin takes a model endpoint: the run's scripted model or recording proxy is given to it. */
export function takesModelEndpoint(use: string): boolean {
  return Boolean(builtinWorker(use)?.modelEndpoint);
}

/** The built-in plugins that take a model endpoint, by name. */
export function endpointWorkerNames(): string[] {
  return builtinWorkers().filter((p) => p.modelEndpoint).map((p) => p.name);
}

/** The worker's CLI has native structured output the run can switch on. */
export function hasStructuredOutput(use: string): boolean {
  return builtinWorker(use)?.structuredOutput === true;
}

/** Every dialect a built-in plugin can read, in plugin order. */
export function knownDialects(): string[] {
  return builtinWorkers().flatMap((p) => Object.keys(p.dialects ?? {}));
}

/** A new parser for a recorded dialect name, from the plugin that prints it; null when none does. */
export function parserForDialect(dialect: string): StreamParser | null {
  for (const p of builtinWorkers()) {
    // Own keys only: a dialect named in a recorded meta.json (input) may be `toString`.
    const make = p.dialects && Object.hasOwn(p.dialects, dialect) ? p.dialects[dialect] : undefined;
    if (make) return make();
  }
  return null;
}
