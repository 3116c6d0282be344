import { isUtf8 } from 'node:buffer';
import { readRegularBytes } from '../util/read-or-null.js';
import path from 'node:path';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { hasErrors } from '../vocabulary/diagnostics.js';
import { describeFsError } from '../util/describe-fs-error.js';
import { checkDocument, detectKind } from './check-document.js';
import { schemaNameOf, type Kind } from './kinds.js';
import { type ParsedSource, type Position } from './parse-source.js';
import { parseConfigText } from './known-parses.js';
import type { DocPath, Rule } from '../vocabulary/rule-context.js';
import { rulesFor } from './rules-for.js';
import { loadValidator } from './validators.js';

/** A config file after the three stages. `data` is null when there is any error. */
export interface LoadedFile {
  file: string;
  kind: string | null;
  data: unknown | null;
  diagnostics: Diagnostic[];
  locate(path: DocPath): Position;
}

export interface LoadOptions {
  /** Refuse a file of another kind (E_KIND). */
  expectKind?: Kind;
  /** Resolve a relative `file` against this directory (diagnostics still name `file` as given). */
  cwd?: string;
  /** A pipeline's module-path `use` is relative to this directory (default: the file's own). */
  pipelineDir?: string;
}

/**
 * Read and check one config file: parse (E_YAML), kind (E_KIND), schema (E_SCHEMA,
 * E_UNKNOWN_KEY), rules of its kind. Never throws for a bad or unreadable file (E_FILE).
 * Impure: reads the file and the schema.
 */
export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<LoadedFile> {
  let bytes: Buffer;
  try {
    bytes = await readRegularBytes(path.resolve(options.cwd ?? '.', file), MAX_CONFIG_BYTES);
  } catch (error) {
    return unreadable(file, error);
  }
  const encoding = checkEncoding(bytes);
  if (encoding) return { file, kind: null, data: null, diagnostics: [{ code: 'E_ENCODING', severity: 'error', file, ...encoding }], locate: () => ({ line: 0, col: 0 }) };
  return checkText(bytes.toString('utf8'), file, options);
}

/**
 * The largest config file read, 8 MiB: the shipped ones are a few KB, a scenario with whole
 * files in its replies some hundred. Parsing costs about 70 times a file's size in memory (a
 * 30 MB policy: 1 GB, 7 s), so a larger one is refused before it is read.
 */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/**
 * What is not UTF-8 in a config file, with where: a UTF-16 one (its byte order mark), or the
 * first byte sequence that is no UTF-8 (Latin-1 text, say, which decoding turned silently into
 * U+FFFD in a goal that then passed `validate`); null when it is UTF-8. Pure.
 */
export function checkEncoding(bytes: Buffer): { message: string; line: number; col: number } | null {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return { message: 'the file is UTF-16 (it starts with a UTF-16 byte order mark); config files are UTF-8: save it as UTF-8', line: 1, col: 1 };
  }
  if (isUtf8(bytes)) return null;
  const at = firstInvalidUtf8(bytes);
  const before = bytes.subarray(0, at);
  const line = before.filter((b) => b === 0x0a).length + 1;
  const lineStart = before.lastIndexOf(0x0a) + 1;
  const col = Buffer.from(before.subarray(lineStart)).toString('utf8').length + 1;
  return { message: `byte 0x${bytes[at]!.toString(16).padStart(2, '0')} is not UTF-8 (Latin-1 or another 8-bit encoding?); config files are UTF-8: save it as UTF-8`, line, col };
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence. Pure. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    if (!isUtf8(bytes.subarray(i, i + n))) return i;
    i += n;
  }
  return bytes.length;
}

/** The same stages on text already in memory (`file` names it in diagnostics). Impure: reads schemas. */
export async function checkText(text: string, file: string, options: LoadOptions = {}): Promise<LoadedFile> {
  const source = parseConfigText(text, file);
  if (hasErrors(source.diagnostics)) return result(source, null, source.diagnostics);
  const detected = detectKind(source, options.expectKind);
  if (detected.kind === null) return result(source, null, detected.diagnostics);
  const validator = await loadValidator(schemaNameOf(detected.kind));
  if (validator === null) {
    const d: Diagnostic = { code: 'E_KIND', severity: 'error', message: `this engine has no schema for kind \`${detected.kind}\``, file, ...source.locate(['kind']) };
    return result(source, detected.kind, [d]);
  }
  const rules = (await rulesFor(detected.kind, path.resolve(options.cwd ?? '.', file), source.data, options.pipelineDir)) as Rule<unknown>[];
  return result(source, detected.kind, checkDocument(source, validator, rules));
}

function result(source: ParsedSource, kind: string | null, diagnostics: Diagnostic[]): LoadedFile {
  return {
    file: source.file,
    kind,
    data: hasErrors(diagnostics) ? null : source.data,
    diagnostics,
    locate: (path) => source.locate(path),
  };
}

function unreadable(file: string, error: unknown): LoadedFile {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOTREG'
      ? 'not a regular file (a FIFO or a device: nothing to read a config from)'
      : code === 'EISDIR'
        ? 'it is a directory, not a file'
        : code === 'EFBIG'
          ? `it is ${((error as { size?: number }).size ?? 0).toLocaleString('en-US')} bytes; a config file is at most ${MAX_CONFIG_BYTES.toLocaleString('en-US')} (8 MiB)`
          : (describeFsError(error)?.why ?? (error as Error).message);
  return {
    file,
    kind: null,
    data: null,
    diagnostics: [{ code: 'E_FILE', severity: 'error', message: `cannot read ${file}: ${why}`, file, line: 0, col: 0 }],
    locate: () => ({ line: 0, col: 0 }),
  };
}
