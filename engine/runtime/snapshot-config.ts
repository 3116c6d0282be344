import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { firstLink } from '../util/first-link.js';
import { readTextOrNull, readRecordText } from '../util/read-or-null.js';
import { readRunRecordJson } from '../util/read-run-record.js';
import path from 'node:path';
import { defaultPolicyFile, userPolicyFile } from '../config/policy/resolve-policy.js';
import { templatesDir } from '../paths.js';
import { repoTemplatesDir } from '../config/repo-pipeline.js';
import { replaceFile, toRecordJson } from '../store/atomic.js';
import { syncDir } from '../util/sync-dir.js';
import { fileRecord, type RunRecord } from '../store/run-records.js';
import { diffLines } from '../util/line-diff.js';
import { compareText } from '../util/compare-text.js';
import { removeFile } from '../util/remove-tree.js';

/**
 * The config a run started with, copied into `<run-dir>/config/` (contract §5 "Config
 * snapshot"): the pipeline, each policy layer (the built-in default, the user's, the repo's
 * `.engine/policy.yaml`, each `--policy` file; the `--set` values in the manifest) and every
 * prompt template in effect (the repo's `.engine/templates/` overrides, else the engine's
 * `templates/prompts/`). Workers' prompts are rendered from the copies, and `resume` loads
 * the copies, never the repo's current files, unless `--reload-config`.
 */
export interface ConfigEntry {
  /** Path inside `config/`: `pipeline.yaml`, `policy/0-default.policy.yaml`, `templates/plan.md`. */
  file: string;
  role: 'pipeline' | 'policy' | 'template';
  /** pipeline | default | repo | --policy | engine */
  source: string;
  /** The file it was copied from (absolute). */
  origin: string;
  sha256: string;
}

export interface ConfigManifest {
  schema_version: 1;
  entries: ConfigEntry[];
  /** The `--set` values in effect, in order. */
  sets: string[];
  /**
   * Each file's content by its path inside `config/`: the manifest alone is synced to disk, so
   * a file a machine crash left missing or empty is written back from here (decision 0007).
   * Absent in snapshots of older engines.
   */
  contents?: Record<string, string>;
}

/** Where a run's config comes from. */
export interface ConfigSources {
  /** Absolute. */
  pipelineFile: string;
  repo: string;
  /** Each `--policy` file, absolute, in order. */
  policyFiles: string[];
  sets: string[];
  /** The user layer's file; undefined: `${XDG_CONFIG_HOME:-~/.config}/engine/policy.yaml` of this process. */
  userFile?: string | null;
}

/** One config file as found now: its entry and content (null: the file is not there). */
export interface GatheredFile {
  entry: Omit<ConfigEntry, 'sha256'>;
  content: string | null;
}

export const CONFIG_DIR = 'config';
const MANIFEST = 'manifest.json';

/** The templates directory of a run's snapshot, or the repo's own for a run without one. Pure apart from a stat. */
export function templateOverrideDir(runDir: string, repo: string): string {
  const own = path.join(runDir, CONFIG_DIR, 'templates');
  return existsSync(path.join(runDir, CONFIG_DIR, MANIFEST)) ? own : repoTemplatesDir(repo);
}

/** Every config file a run with these sources uses, read now. Impure (reads files). */
export function gatherConfig(src: ConfigSources): GatheredFile[] {
  const read = (file: string): string | null => {
    try {
      return readRecordText(file);
    } catch {
      return null;
    }
  };
  const out: GatheredFile[] = [];
  const add = (file: string, role: ConfigEntry['role'], source: string, origin: string) => out.push({ entry: { file, role, source, origin }, content: read(origin) });
  add('pipeline.yaml', 'pipeline', 'pipeline', src.pipelineFile);
  add('policy/0-default.policy.yaml', 'policy', 'default', defaultPolicyFile);
  const userFile = src.userFile !== undefined ? src.userFile : userPolicyFile(process.env);
  if (userFile && existsSync(userFile)) add('policy/0-user.policy.yaml', 'policy', 'user', userFile);
  const repoPolicy = path.join(src.repo, '.engine', 'policy.yaml');
  if (existsSync(repoPolicy)) add('policy/1-repo.policy.yaml', 'policy', 'repo', repoPolicy);
  src.policyFiles.forEach((f, i) => add(`policy/${i + 2}-policy.policy.yaml`, 'policy', '--policy', f));
  const templates = new Map<string, { source: string; origin: string }>();
  for (const [source, dir] of [['engine', path.join(templatesDir, 'prompts')], ['repo', repoTemplatesDir(src.repo)]] as const) {
    for (const name of listTemplates(dir)) templates.set(name, { source, origin: path.join(dir, name) });
  }
  for (const [name, t] of [...templates].sort(([a], [b]) => compareText(a, b))) add(`templates/${name}`, 'template', t.source, t.origin);
  return out;
}

function listTemplates(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && /^[A-Za-z0-9_.-]+\.md$/.test(d.name))
      .map((d) => d.name);
  } catch {
    return [];
  }
}

/**
 * Write the snapshot: each file, then the manifest (written last, so a snapshot with a
 * manifest is whole), which also holds every file's content. Only the manifest is synced,
 * with one sync of `config/` for its rename: 2 fsyncs, not one per file and directory; a file
 * the crash of the machine lost is written back from the manifest when the snapshot is read.
 * Files of an earlier snapshot that are no longer part of it go. Returns the run-store
 * records of the snapshot, for the checks after every step. Impure.
 */
export function writeConfigSnapshot(runDir: string, files: GatheredFile[], sets: string[], scrub: (text: string) => string = (x) => x): RunRecord[] {
  const dir = path.join(runDir, CONFIG_DIR);
  const entries: ConfigEntry[] = [];
  const contents: Record<string, string> = {};
  const records: RunRecord[] = [];
  for (const f of files) {
    if (f.content === null) throw new Error(`cannot read ${f.entry.origin} for the run's config snapshot`);
    // No secret reaches the run directory, not even a key written into a worker's env:.
    const content = scrub(f.content);
    const file = path.join(dir, f.entry.file);
    replaceFile(file, content);
    entries.push({ ...f.entry, sha256: sha256(content) });
    contents[f.entry.file] = content;
    records.push(fileRecord(file, `${CONFIG_DIR}/${f.entry.file}`, () => content));
  }
  const keep = new Set(entries.map((e) => path.join(dir, e.file)));
  for (const sub of ['policy', 'templates']) {
    for (const name of existsSync(path.join(dir, sub)) ? readdirSync(path.join(dir, sub)) : []) {
      const file = path.join(dir, sub, name);
      if (!keep.has(file)) removeFile(file);
    }
  }
  const manifest = toRecordJson({ schema_version: 1, entries, sets: sets.map(scrub), contents } satisfies ConfigManifest);
  replaceFile(path.join(dir, MANIFEST), manifest, { syncData: true });
  syncDir(dir);
  records.push(fileRecord(path.join(dir, MANIFEST), `${CONFIG_DIR}/${MANIFEST}`, () => manifest));
  return records;
}

/** A snapshot as read back: its manifest and each file's content. */
export interface ReadSnapshot {
  manifest: ConfigManifest;
  files: GatheredFile[];
}

/**
 * Read a run's snapshot; null when the run has none (started by an older engine). A file
 * that is missing or empty is written back from the manifest's copy (a machine crash can
 * lose the unsynced files, never the manifest); a file that no longer matches the manifest's
 * hash is an error naming it. Impure (reads files, may write one back).
 */
export function readConfigSnapshot(runDir: string): ReadSnapshot | { error: string; file: string } | null {
  const dir = path.join(runDir, CONFIG_DIR);
  const manifestFile = path.join(dir, MANIFEST);
  if (!existsSync(manifestFile)) return null;
  let manifest: ConfigManifest;
  try {
    manifest = readRunRecordJson(manifestFile) as ConfigManifest;
    if (!Array.isArray(manifest.entries) || !Array.isArray(manifest.sets)) throw new Error('no entries');
  } catch (error) {
    return { error: `the run's config snapshot cannot be read (${(error as Error).message})`, file: manifestFile };
  }
  const files: GatheredFile[] = [];
  for (const e of manifest.entries) {
    const file = path.join(dir, e.file);
    // Nothing is read or written back through a link in config/ (without the OS sandbox a
    // worker can put one there, to a folder of the user's).
    if (typeof e.file !== 'string' || path.relative(dir, file).startsWith('..') || firstLink(dir, e.file) !== null) {
      return { error: `the run's config snapshot was changed since the engine wrote it (${CONFIG_DIR}/${String(e.file)} is reached through a link or leaves ${CONFIG_DIR}); the engine will not resume from it`, file };
    }
    let content = readTextOrNull(file);
    // Missing or empty after a machine crash (only the manifest was synced): written back.
    const kept = manifest.contents?.[e.file];
    if ((content === null || content === '') && kept !== undefined && sha256(kept) === e.sha256 && !path.relative(dir, file).startsWith('..')) {
      content = kept;
      replaceFile(file, kept);
    }
    if (content === null || sha256(content) !== e.sha256 || path.relative(dir, file).startsWith('..')) {
      return { error: `the run's config snapshot was changed since the engine wrote it (${CONFIG_DIR}/${e.file} does not match its hash in ${CONFIG_DIR}/${MANIFEST}); the engine will not resume from it`, file };
    }
    const { sha256: _hash, ...entry } = e;
    files.push({ entry, content });
  }
  return { manifest, files };
}

/** A config file whose current content differs from the snapshot's. */
export interface ConfigChange {
  /** Path inside `config/`. */
  file: string;
  /** The file it was copied from. */
  origin: string;
  change: 'changed' | 'added' | 'removed';
  diff: string;
}

/** What differs between a snapshot and the files as they are now. Pure. */
export function compareConfig(snapshot: GatheredFile[], current: GatheredFile[]): ConfigChange[] {
  const before = new Map(snapshot.map((f) => [f.entry.file, f]));
  const now = new Map(current.filter((f) => f.content !== null).map((f) => [f.entry.file, f]));
  const changes: ConfigChange[] = [];
  for (const f of snapshot) {
    const n = now.get(f.entry.file);
    const from = `${CONFIG_DIR}/${f.entry.file} (at the start)`;
    if (!n) changes.push({ file: f.entry.file, origin: f.entry.origin, change: 'removed', diff: diffLines(f.content ?? '', '', { from, to: `${f.entry.origin} (now: gone)` }) });
    else if (!sameButSecrets(f.content ?? '', n.content ?? '') || n.entry.origin !== f.entry.origin) {
      changes.push({ file: f.entry.file, origin: n.entry.origin, change: 'changed', diff: diffLines(f.content ?? '', n.content ?? '', { from, to: `${n.entry.origin} (now)` }) || `(${f.entry.origin} is now ${n.entry.origin})\n` });
    }
  }
  for (const n of current) {
    if (n.content !== null && !before.has(n.entry.file)) changes.push({ file: n.entry.file, origin: n.entry.origin, change: 'added', diff: diffLines('', n.content, { from: `${CONFIG_DIR}/${n.entry.file} (none at the start)`, to: `${n.entry.origin} (now)` }) });
  }
  return changes;
}

const MARK = /\[REDACTED:[^\]\n]*\]/g;

/** The snapshot's copy has secrets redacted: the file itself is needed to run from it. Pure. */
export function hasRedactions(text: string): boolean {
  return /\[REDACTED:[^\]\n]*\]/.test(text);
}

/**
 * A file equals its snapshot copy but for the values the copy redacted: each
 * `[REDACTED:NAME]` stands for one token-like value (no spaces, quotes or YAML structure), so
 * nothing but a secret's value can differ. Pure.
 */
export function sameButSecrets(snapshot: string, current: string): boolean {
  if (snapshot === current) return true;
  if (!hasRedactions(snapshot)) return false;
  const pattern = snapshot
    .split(MARK)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[A-Za-z0-9._~+/=-]+');
  return new RegExp(`^${pattern}$`).test(current);
}

function sha256(text: string): string {
  return 'sha256:' + createHash('sha256').update(text).digest('hex');
}
