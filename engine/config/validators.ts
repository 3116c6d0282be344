import type { SchemaError } from './schema-check.js';
import { listSchemaNames, readSchemaText } from './schema-files.js';

/** A compiled schema: the schema itself (for hints) and a validate function. */
export interface Validator {
  name: string;
  schema: Record<string, unknown>;
  /** Errors of `data`, or an empty list when it is valid. */
  validate(data: unknown): SchemaError[];
}

const cache = new Map<string, Promise<Validator | null>>();

/**
 * The validator of a schema by name (`pipeline`, `policy`, `markers/plan`), or null when the
 * engine ships no such schema. Compiled once per process; ajv is loaded only when needed, so
 * commands that never validate do not pay for it. Impure: reads schema files.
 */
export function loadValidator(name: string): Promise<Validator | null> {
  let v = cache.get(name);
  if (!v) {
    v = compileValidator(name);
    cache.set(name, v);
  }
  return v;
}

async function compileValidator(name: string): Promise<Validator | null> {
  const text = await readSchemaText(name);
  if (text === null) return null;
  const schema = JSON.parse(text) as Record<string, unknown>;
  const ajv = await getAjv();
  // Other schemas are added lazily so a $ref across files (by $id) resolves.
  let validate;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    if ((error as { missingRef?: string }).missingRef === undefined) throw error;
    if (typeof schema['$id'] === 'string') ajv.removeSchema(schema['$id']);
    await addAllSchemas(ajv, name);
    validate = ajv.compile(schema);
  }
  return {
    name,
    schema,
    validate(data) {
      return validate(data) ? [] : ((validate.errors ?? []) as SchemaError[]);
    },
  };
}

type AjvInstance = import('ajv').Ajv;
let ajvInstance: Promise<AjvInstance> | undefined;

function getAjv(): Promise<AjvInstance> {
  ajvInstance ??= import('ajv').then(({ Ajv }) => new Ajv({ allErrors: true, strict: false, useDefaults: false }));
  return ajvInstance;
}

async function addAllSchemas(ajv: AjvInstance, except: string): Promise<void> {
  for (const other of await listSchemaNames()) {
    if (other === except) continue;
    const text = await readSchemaText(other);
    if (text === null) continue;
    const schema = JSON.parse(text) as { $id?: string };
    if (schema.$id && !ajv.getSchema(schema.$id)) ajv.addSchema(schema);
  }
}
