import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import type { SchemaError } from './schema-check.js';
import { listSchemaNames, readSchemaText } from './schema-files.js';
import { writeFreshFile } from '../util/open-own-file.js';

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
 * The validator of a schema by name (`pipeline`, `policy`, `markers/plan`), or null when the
 * engine ships no such schema. Compiling a schema with ajv costs more than the rest of a
 * `validate` run, so the compiled code is kept on disk (ajv standalone code, keyed by the
 * schema text and the ajv version) and later processes load it without loading ajv at all.
 * Impure: reads schema files, reads and writes the compile cache.
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
 * The validate function of a schema (its text, and the texts of schemas it refers to), from
 * the on-disk cache or compiled now and cached. Synchronous, for callers such as the markers
 * check that validate inside a stream; ajv is loaded only on a cache miss. Impure.
 */
export function compileSchema(schema: Record<string, unknown>, text: string, related: readonly string[] = []): ValidateFn {
  const key = cacheKey(text, related);
  return precompiled.get(key)?.() ?? loadCached(key) ?? compileAndCache(schema, related, key);
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
  const out: { name: string; key: string; code: string }[] = [];
  for (const name of names) {
    const source = await readShippedSchema(name);
    if (source === null) continue;
    out.push({ name, key: cacheKey(source.text, source.related), code: compileStandalone(source.schema, source.related).code });
  }
  return out;
}

function cacheKey(text: string, related: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify([ajvVersion(), AJV_OPTIONS, text, related])).digest('hex').slice(0, 24);
}

/** A shipped schema, and the texts of the others when it refers to them. */
async function readShippedSchema(name: string): Promise<{ schema: Record<string, unknown>; text: string; related: string[] } | null> {
  const text = await readSchemaText(name);
  if (text === null) return null;
  const external = /"\$ref"\s*:\s*"(?!#)/.test(text);
  return { schema: JSON.parse(text) as Record<string, unknown>, text, related: external ? await allSchemaTexts(name) : [] };
}

function loadCached(key: string): ValidateFn | null {
  for (const dir of cacheDirs()) {
    try {
      return require(path.join(dir, `${key}.cjs`)) as ValidateFn;
    } catch {
      /* not cached there */
    }
  }
  return null;
}

/** A schema compiled by ajv, and as standalone code (CommonJS; it requires ajv's runtime helpers). */
function compileStandalone(schema: Record<string, unknown>, related: readonly string[]): { validate: ValidateFn; code: string } {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standaloneCode = (require('ajv/dist/standalone/index.js') as { default: (ajv: unknown, fn: unknown) => string }).default;
  const ajv = new Ajv(AJV_OPTIONS);
  for (const text of related) {
    const other = JSON.parse(text) as { $id?: string };
    if (other.$id && other.$id !== schema['$id'] && !ajv.getSchema(other.$id)) ajv.addSchema(other);
  }
  const validate = ajv.compile(schema) as ValidateFn;
  return { validate, code: standaloneCode(ajv, validate) };
}

function compileAndCache(schema: Record<string, unknown>, related: readonly string[], key: string): ValidateFn {
  // The runtime helpers the code requires are pinned to absolute paths so the cached file
  // loads from any cache directory.
  const { validate, code: portable } = compileStandalone(schema, related);
  const code = portable.replace(/require\("([^"]+)"\)/g, (_: string, spec: string) => `require(${JSON.stringify(require.resolve(spec))})`);
  for (const dir of cacheDirs()) {
    try {
      mkdirSync(dir, { recursive: true });
      const tmp = path.join(dir, `${key}.${process.pid}.tmp`);
      writeFreshFile(tmp, code);
      renameSync(tmp, path.join(dir, `${key}.cjs`));
      break;
    } catch {
      /* try the next place; without any, every process compiles */
    }
  }
  return validate;
}

/** Where compiled validators are kept: the package's node_modules/.cache, else the temp dir. */
function cacheDirs(): string[] {
  const own = process.env['ENGINE_CACHE_DIR'];
  return [
    ...(own ? [own] : []),
    path.join(packageRoot, 'node_modules', '.cache', 'engine', 'validators'),
    path.join(os.tmpdir(), `engine-validators-${os.userInfo().uid}`),
  ];
}

let version: string | undefined;
function ajvVersion(): string {
  version ??= (JSON.parse(readFileSync(require.resolve('ajv/package.json'), 'utf8')) as { version: string }).version;
  return version;
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
