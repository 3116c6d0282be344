import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../store/run-records.js';
import { CONFIG_DIR, compareConfig, gatherConfig, hasRedactions, readConfigSnapshot, sameButSecrets, writeConfigSnapshot, type ConfigChange, type GatheredFile } from './snapshot-config.js';
import { compareText } from '../util/compare-text.js';

/** The config a resume runs with, where to load each part from, and what changed. */
export interface ResumeConfig {
  /** The pipeline file to load, and the one it came from (its directory resolves workers). */
  pipelineFile: string;
  pipelineOrigin: string;
  /** The policy layers to load, lowest first (resolvePolicy's defaultFile / repoFile / files). */
  defaultFile: string;
  userFile: string | null;
  repoFile: string | null;
  policyFiles: string[];
  sets: string[];
  /** The repo's (or engine's) files that differ from the snapshot. */
  changes: ConfigChange[];
  /** The changes were taken (--reload-config); otherwise they are ignored. */
  reloaded: boolean;
  /** Something to tell the user besides the changes. */
  note: string | null;
  /** Make this the run's snapshot (after the resume is accepted, secrets scrubbed); the records to check. Impure. */
  commit(scrub: (text: string) => string): RunRecord[];
}

export interface ResumeConfigOptions {
  runDir: string;
  repo: string;
  cwd: string;
  /** state.json's pipeline.path and policy (files as given, sets). */
  statePipelinePath: string;
  statePolicyFiles: string[];
  /** --policy / --set given to resume. */
  policyFiles: string[];
  sets: string[];
  reload: boolean;
}

/**
 * The config a resumed run uses: its snapshot (config/), never the repo's current files,
 * unless `reload` (--reload-config) takes those. Either way what differs is reported.
 * `--policy` given to resume replaces the run's `--policy` layers (read now), `--set` values
 * add to its own; both become part of the snapshot. A run of an older engine has no snapshot:
 * the current files are used and become its snapshot. Impure (reads files).
 */
export function prepareResumeConfig(o: ResumeConfigOptions): ResumeConfig | { error: string; file: string } {
  const snap = readConfigSnapshot(o.runDir);
  if (snap && 'error' in snap) return snap;
  const resolveAll = (files: string[]) => files.map((f) => path.resolve(o.cwd, f));
  const sets = [...(snap ? snap.manifest.sets : []), ...o.sets];
  let effective: (GatheredFile & { fromSnapshot: boolean })[];
  let changes: ConfigChange[] = [];
  let note: string | null = null;
  if (!snap) {
    const cwdPipeline = path.resolve(o.cwd, o.statePipelinePath);
    const pipelineFile = existsSync(cwdPipeline) ? cwdPipeline : path.resolve(o.repo, o.statePipelinePath);
    const current = gatherConfig({ pipelineFile, repo: o.repo, policyFiles: resolveAll(o.policyFiles.length ? o.policyFiles : o.statePolicyFiles), sets });
    effective = current.map((f) => ({ ...f, fromSnapshot: false }));
    note = `the run has no config snapshot (${CONFIG_DIR}/): it was started by an older engine; it resumes with the current files, which become its snapshot`;
  } else {
    const origin = (source: string) => snap.files.filter((f) => f.entry.source === source).map((f) => f.entry.origin);
    const current = gatherConfig({ pipelineFile: origin('pipeline')[0]!, repo: o.repo, policyFiles: origin('--policy'), sets: snap.manifest.sets });
    changes = compareConfig(snap.files, current);
    if (o.reload) effective = current.filter((f) => f.content !== null).map((f) => ({ ...f, fromSnapshot: false }));
    else {
      // A copy with redacted secrets cannot run: the file itself is used when it is the same
      // but for those values; otherwise the run cannot go on without --reload-config.
      const now = new Map(current.map((f) => [f.entry.file, f]));
      effective = [];
      for (const f of snap.files) {
        if (!hasRedactions(f.content ?? '')) {
          effective.push({ ...f, fromSnapshot: true });
          continue;
        }
        const n = now.get(f.entry.file);
        if (!n || n.content === null || n.entry.origin !== f.entry.origin || !sameButSecrets(f.content!, n.content)) {
          return { error: `${f.entry.origin} changed since the run started, and the run's copy (${CONFIG_DIR}/${f.entry.file}) has its secrets redacted, so it cannot stand in for it; put the file back as it was, or resume with --reload-config to take it as it is`, file: f.entry.origin };
        }
        effective.push({ ...n, fromSnapshot: false });
      }
    }
    if (o.policyFiles.length) {
      const given = gatherConfig({ pipelineFile: origin('pipeline')[0]!, repo: o.repo, policyFiles: resolveAll(o.policyFiles), sets }).filter((f) => f.entry.source === '--policy');
      effective = [...effective.filter((f) => f.entry.source !== '--policy'), ...given.map((f) => ({ ...f, fromSnapshot: false }))];
    }
  }
  const missing = effective.find((f) => f.content === null);
  if (missing) return { error: `cannot read ${missing.entry.origin} (${missing.entry.role})`, file: missing.entry.origin };
  if (!effective.some((f) => f.entry.role === 'pipeline')) {
    const gone = changes.find((c) => c.file === 'pipeline.yaml');
    return { error: `the pipeline file ${gone?.origin ?? ''} is gone; resume without --reload-config to keep the run's own copy`, file: gone?.origin ?? 'engine resume' };
  }
  effective.sort((a, b) => rank(a) - rank(b) || compareText(a.entry.file, b.entry.file));
  const loadPath = (f: GatheredFile & { fromSnapshot: boolean }) => (f.fromSnapshot ? path.join(o.runDir, CONFIG_DIR, f.entry.file) : f.entry.origin);
  const pipeline = effective.find((f) => f.entry.role === 'pipeline')!;
  const layer = (source: string) => effective.filter((f) => f.entry.role === 'policy' && f.entry.source === source);
  return {
    pipelineFile: loadPath(pipeline),
    pipelineOrigin: pipeline.entry.origin,
    defaultFile: loadPath(layer('default')[0]!),
    userFile: layer('user').map(loadPath)[0] ?? null,
    repoFile: layer('repo').map(loadPath)[0] ?? null,
    policyFiles: layer('--policy').map(loadPath),
    sets,
    changes,
    reloaded: o.reload && changes.length > 0,
    note,
    commit: (scrub) => writeConfigSnapshot(o.runDir, effective, sets, scrub),
  };
}

/** Order of a snapshot's entries: pipeline, policy layers lowest first, templates. */
function rank(f: GatheredFile): number {
  if (f.entry.role === 'pipeline') return 0;
  if (f.entry.role === 'policy') return 1 + Number(/^policy\/(\d+)-/.exec(f.entry.file)?.[1] ?? 0);
  return 1e6;
}

/** The changes as the text shown on stderr. Pure. */
export function describeConfigChanges(changes: ConfigChange[], reloaded: boolean, runDir: string): string {
  if (!changes.length) return '';
  const head = reloaded
    ? `engine resume --reload-config: the run takes the current config (${changes.length} file(s) differ from its snapshot); counted as a human intervention:\n`
    : `engine resume: ${changes.length} config file(s) changed since the run started; the changes are ignored (the run keeps its snapshot in ${path.join(runDir, CONFIG_DIR)}; resume with --reload-config to take them):\n`;
  return head + changes.map((c) => c.diff).join('');
}
