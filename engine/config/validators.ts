import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import type { SchemaError } from './schema-check.js';
import { listSchemaNames, readSchemaText } from './schema-files.js';

/** A compiled schema: the schema itself (for hints) and a validate function. */
export interface Validator {
  name: string;
  schema: Record<string, unknown>;
  /** Errors of `data`, or an empty list when it is valid. */
  validate(data: unknown): SchemaError[];
}

type ValidateFn = ((data: unknown) => boolean) & { errors?: unknown[] | null };

const require = createRequire(import.meta.url);
const AJV_OPTIONS = { allErrors: true, strict: false, discriminator: true, code: { source: true } } as const;
const cache = new Map<string, Promise<Validator | null>>();
/** Validators compiled at build time into the CLI bundle, by cache key. */
const precompiled = new Map<string, () => ValidateFn>();
/**
 * The ajv the engine is built with (package.json pins it): part of every validator's key. A
 * constant, never read from node_modules/ajv at run time: without the OS sandbox a worker can
 * rewrite that file, and a version that differs from the build's would miss every shipped
 * validator and load ajv, and whatever was planted in it, into the engine (contract §5). The
 * build refuses to compile the shipped schemas with any other ajv (precompileShippedValidators).
 */
const AJV_VERSION = '8.20.0';

/**
 * The validator of a schema by name (`pipeline`, `policy`, `markers/plan`), or null when the
 * engine ships no such schema. Every shipped schema is compiled at build time (ajv standalone
 * code, keyed by the schema text and the version of ajv the engine is built with) into the install; a schema whose text
 * differs from the build's is compiled by ajv in this process. Compiled code is never read
 * from anywhere else: a validator is code the engine runs, and a cache in the temp dir or a
 * package's node_modules is a place a worker without the OS sandbox can write (contract §5).
 * Impure: reads schema files.
 */
export function loadValidator(name: string): Promise<Validator | null> {
  let v = cache.get(name);
  if (!v) {
    v = buildValidator(name);
    cache.set(name, v);
  }
  return v;
}

async function buildValidator(name: string): Promise<Validator | null> {
  const source = await readShippedSchema(name);
  if (source === null) return null;
  const { schema, text, related } = source;
  const validate = compileSchema(schema, text, related);
  return {
    name,
    schema,
    validate(data) {
      return validate(data) ? [] : ((validate.errors ?? []) as SchemaError[]);
    },
  };
}

/**
 * The validate function of a schema (its text, and the texts of schemas it refers to): the
 * build's when the text is the build's, else compiled now (once per process). Synchronous,
 * for callers such as the markers check that validate inside a stream; ajv is loaded only on
 * a miss. Impure.
 */
export function compileSchema(schema: Record<string, unknown>, text: string, related: readonly string[] = []): ValidateFn {
  const key = cacheKey(text, related);
  let compiled = precompiled.get(key) ?? (registerInstalled(), precompiled.get(key));
  if (!compiled) {
    const { validate } = compileWithAjv(schema, related);
    compiled = () => validate;
    precompiled.set(key, compiled);
  }
  return compiled();
}

let installedRegistered = false;
/**
 * The build's table of compiled shipped schemas (dist/precompiled-validators.cjs), registered
 * once, for the ES modules and in-process callers (the CLI bundle carries the same table and
 * registers it as it starts). It lies in the engine's install, which is read-only under the
 * OS sandbox and checked unchanged after every step without it. Impure.
 */
function registerInstalled(): void {
  if (installedRegistered) return;
  installedRegistered = true;
  const file = path.join(packageRoot, 'dist', 'precompiled-validators.cjs');
  if (existsSync(file)) registerPrecompiled(require(file) as Record<string, () => ValidateFn>);
}

/**
 * Adds validators compiled at build time (see `precompileShippedValidators`); the CLI bundle
 * registers them before any command runs, so a fresh install never compiles a shipped schema.
 * A schema changed since the build has another key and is compiled as usual.
 */
export function registerPrecompiled(table: Record<string, () => ValidateFn>): void {
  for (const [key, load] of Object.entries(table)) {
    let fn: ValidateFn | undefined;
    precompiled.set(key, () => (fn ??= load()));
  }
}

/**
 * Shipped schemas (by name) as ajv standalone code (CommonJS) with their cache keys, for the
 * build to put in the CLI bundle. The code requires ajv's runtime helpers by package path, so
 * the bundler can take them in. Impure: reads the schemas, loads ajv.
 */
export async function precompileShippedValidators(names: readonly string[]): Promise<{ name: string; key: string; code: string }[]> {
  const installed = installedAjvVersion();
  if (installed !== AJV_VERSION) throw new Error(`the installed ajv is ${installed}, the engine is built with ${AJV_VERSION}: set AJV_VERSION in engine/config/validators.ts to the version package.json pins`);
  const out: { name: string; key: string; code: string }[] = [];
  for (const name of names) {
    const source = await readShippedSchema(name);
    if (source === null) continue;
    out.push({ name, key: cacheKey(source.text, source.related), code: compileStandalone(source.schema, source.related) });
  }
  return out;
}

function cacheKey(text: string, related: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify([AJV_VERSION, AJV_OPTIONS, text, related])).digest('hex').slice(0, 24);
}

/** A shipped schema, and the texts of the others when it refers to them. */
async function readShippedSchema(name: string): Promise<{ schema: Record<string, unknown>; text: string; related: string[] } | null> {
  const text = await readSchemaText(name);
  if (text === null) return null;
  const external = /"\$ref"\s*:\s*"(?!#)/.test(text);
  return { schema: JSON.parse(text) as Record<string, unknown>, text, related: external ? await allSchemaTexts(name) : [] };
}

/** A schema compiled by ajv in this process, and the ajv instance that holds it. */
function compileWithAjv(schema: Record<string, unknown>, related: readonly string[]): { validate: ValidateFn; ajv: unknown } {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv(AJV_OPTIONS);
  for (const text of related) {
    const other = JSON.parse(text) as { $id?: string };
    if (other.$id && other.$id !== schema['$id'] && !ajv.getSchema(other.$id)) ajv.addSchema(other);
  }
  return { validate: ajv.compile(schema) as ValidateFn, ajv };
}

/** A schema as ajv standalone code (CommonJS; it requires ajv's runtime helpers), for the build. */
function compileStandalone(schema: Record<string, unknown>, related: readonly string[]): string {
  const standaloneCode = (require('ajv/dist/standalone/index.js') as { default: (ajv: unknown, fn: unknown) => string }).default;
  const { validate, ajv } = compileWithAjv(schema, related);
  return standaloneCode(ajv, validate);
}

/** The version of the ajv in node_modules: asked by the build only. Impure (reads its package.json). */
function installedAjvVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('ajv/package.json'), 'utf8')) as { version: string }).version;
}

async function allSchemaTexts(except: string): Promise<string[]> {
  const out: string[] = [];
  for (const other of await listSchemaNames()) {
    if (other === except) continue;
    const t = await readSchemaText(other);
    if (t !== null) out.push(t);
  }
  return out;
}
