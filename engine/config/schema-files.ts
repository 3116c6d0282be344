import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { schemasDir } from '../paths.js';

/**
 * The schemas shipped in the engine package, by name (`pipeline`, `markers/plan`, …):
 * schemas/<name>.schema.json. Impure: reads the package's schemas directory.
 */
export async function listSchemaNames(dir = schemasDir): Promise<string[]> {
  const names: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    const entries = await readdir(path.join(dir, sub), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(rel);
      else if (e.name.endsWith('.schema.json')) names.push(rel.slice(0, -'.schema.json'.length));
    }
  };
  await walk('');
  return names.sort();
}

/** Path of a schema file by name. Pure. */
export function schemaFile(name: string, dir = schemasDir): string {
  return path.join(dir, `${name}.schema.json`);
}

/** A schema's JSON text, or null when the engine has no schema of that name. Impure. */
export async function readSchemaText(name: string, dir = schemasDir): Promise<string | null> {
  return readFile(schemaFile(name, dir), 'utf8').catch(() => null);
}
