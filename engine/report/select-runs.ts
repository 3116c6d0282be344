import path from 'node:path';

/** Which runs to report: every run, or the given ids (`latest` = the newest run; none = latest). */
export type RunSelection = { all: true } | { all: false; ids: readonly string[] };

/** What selecting needs of a run: its directory and its id. */
export interface SelectableRun {
  dir: string;
  state: { run_id: string };
}

export type SelectedRuns<R extends SelectableRun = SelectableRun> = { ok: true; runs: R[] } | { ok: false; unknown: string[] };

/**
 * The runs a selection names, from a store's runs (oldest first, as `loadStoreRuns` gives
 * them): `--all` keeps that order, ids keep the order given (each once). A run matches by its
 * `run_id` or its directory name. Unknown ids are all returned, so one message can name
 * every one. The store must hold at least one run. Pure.
 */
export function selectRuns<R extends SelectableRun>(stored: readonly R[], selection: RunSelection): SelectedRuns<R> {
  if (selection.all) return { ok: true, runs: [...stored] };
  const ids = selection.ids.length ? selection.ids : ['latest'];
  const runs: R[] = [];
  const unknown: string[] = [];
  for (const id of ids) {
    const run = id === 'latest' ? stored.at(-1) : stored.find((r) => r.state.run_id === id || path.basename(r.dir) === id);
    if (!run) unknown.push(id);
    else if (!runs.includes(run)) runs.push(run);
  }
  return unknown.length ? { ok: false, unknown } : { ok: true, runs };
}
