import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
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
const AJV_OPTIONS = { allErrors: true, strict: false, code: { source: true } } as const;
const cache = new Map<string, Promise<Validator | null>>();

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
  const text = await readSchemaText(name);
  if (text === null) return null;
  const schema = JSON.parse(text) as Record<string, unknown>;
  const external = /"\$ref"\s*:\s*"(?!#)/.test(text);
  const related = external ? await allSchemaTexts(name) : [];
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
  const key = createHash('sha256').update(JSON.stringify([ajvVersion(), AJV_OPTIONS, text, related])).digest('hex').slice(0, 24);
  return loadCached(key) ?? compileAndCache(schema, related, key);
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

function compileAndCache(schema: Record<string, unknown>, related: readonly string[], key: string): ValidateFn {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standaloneCode = (require('ajv/dist/standalone/index.js') as { default: (ajv: unknown, fn: unknown) => string }).default;
  const ajv = new Ajv(AJV_OPTIONS);
  for (const text of related) {
    const other = JSON.parse(text) as { $id?: string };
    if (other.$id && other.$id !== schema['$id'] && !ajv.getSchema(other.$id)) ajv.addSchema(other);
  }
  const validate = ajv.compile(schema) as ValidateFn;
  // The runtime helpers the code requires are pinned to absolute paths so the cached file
  // loads from any cache directory.
  const code = standaloneCode(ajv, validate).replace(/require\("([^"]+)"\)/g, (_: string, spec: string) => `require(${JSON.stringify(require.resolve(spec))})`);
  for (const dir of cacheDirs()) {
    try {
      mkdirSync(dir, { recursive: true });
      const tmp = path.join(dir, `${key}.${process.pid}.tmp`);
      writeFileSync(tmp, code);
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
