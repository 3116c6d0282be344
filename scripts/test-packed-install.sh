#!/usr/bin/env bash
# The engine as a user gets it: `npm pack`, then the tarball and the pinned worker CLIs
# installed as devDependencies of a scratch git project (offline from the npm cache), and
# only `npx engine …` from there on. Checks, in order:
#   the packed package.json carries no install or pack script (npm would list it for the user
#   to approve) and the checkout's is as it was (scripts/pack-manifest.mjs);
#   init, validate, doctor (exit 0), demo (exit 0), and hints that say `npx engine`; a TypeScript plugin compiled with
#   `tsc --strict` against `@engine/engine/plugin`, as an ES module and as CommonJS (.cts);
#   three `engine run --goal …` against the scripted model (--scenario) and one through each
#   plugin; after them the project's own
#   `npm test` output and `git status` are what they were, and .engine/pipeline.yaml and
#   .engine/policy.yaml are committable (not ignored by git). The project's path has a space.
#   Then `npm install -g` under a prefix of its own: `engine` on PATH, init, doctor and demo.
#   Then the same tarball and CLIs added by pnpm to a project of its own (pnpm's linked store):
#   init, doctor (it finds the project's CLIs), demo, a scripted run and a run through the plugin.
# Every check runs even after one fails; the last line counts them; exit 1 when any failed.
# ENGINE_PACKED_KEEP=1 keeps the scratch directory.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/engine-packed-XXXXXX")
# A project path with a space in it, as many a user's is (macOS's "Application Support", a
# home under "My Projects"): every command the engine prints for it must still paste.
app="$work/scratch app"
log="$work/log"
export NO_COLOR=1
# The user's own npm settings are not the test's; the cache is (that is what makes it offline).
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $((passed + failed)) - $1"; }
fail() {
  failed=$((failed + 1))
  echo "not ok $((passed + failed)) - $1"
  [ -s "$log" ] && sed 's/^/  # /' "$log" | tail -n 40
}
# step NAME COMMAND...: runs the command in the project, output in $log; passes on exit 0.
step() {
  local name=$1
  shift
  step_in "$app" "$name" "$@"
}
# step_in DIR NAME COMMAND...: the same, in another project.
step_in() {
  local dir=$1 name=$2
  shift 2
  if (cd "$dir" && "$@") >"$log" 2>&1; then ok "$name"; else fail "$name (exit $?)"; fi
}
finish() {
  echo "# packed install: $((passed + failed)) checks, $passed passed, $failed failed"
  if [ "$failed" -eq 0 ] && [ -z "${ENGINE_PACKED_KEEP:-}" ]; then rm -rf "$work"; else echo "# scratch directory kept: $work"; fi
  [ "$failed" -eq 0 ]
  exit $?
}
# The pnpm the packed install is also tried with (from the npm registry).
PNPM_VERSION=9.15.9
version_of() { node -p "require('$root/package.json').devDependencies['$1']"; }

# --- the package and the project --------------------------------------------------------
manifest_before=$(cat "$root/package.json")
tgz=$(cd "$root" && npm pack --silent --pack-destination "$work" 2>"$log" | tail -n 1)
if [ -n "$tgz" ] && [ -f "$work/$tgz" ]; then ok "npm pack: $tgz"; else fail "npm pack"; finish; fi
# The packed package.json has no script npm would list for the user to approve at install
# (scripts/pack-manifest.mjs), and the checkout's own is as it was.
if tar -xzOf "$work/$tgz" package/package.json | node -e "const s = JSON.parse(require('fs').readFileSync(0, 'utf8')).scripts ?? {}; process.exit(['prepare', 'prepack', 'postpack', 'preinstall', 'install', 'postinstall'].some((k) => k in s) ? 1 : 0)" &&
  [ "$(cat "$root/package.json")" = "$manifest_before" ] && [ ! -e "$root/.package.json.packing" ]; then
  ok "the packed package.json carries no install or pack script; the checkout's is unchanged"
else
  fail "the packed package.json carries no install or pack script; the checkout's is unchanged"
fi

mkdir -p "$app/test"
cat >"$app/package.json" <<'EOF'
{
  "name": "scratch-app",
  "version": "1.0.0",
  "private": true,
  "type": "module",
  "scripts": { "test": "node test/check.js" }
}
EOF
cat >"$app/test/check.js" <<'EOF'
import { readFileSync } from 'node:fs';
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
console.log(`scratch-app: 1 check passed (${pkg.name})`);
EOF
printf 'node_modules/\n' >"$app/.gitignore"
step "git init" sh -c 'git init -q -b main && git config user.name Test && git config user.email test@example.com && git add -A && git commit -q -m initial'

codex="@openai/codex@$(version_of @openai/codex)"
claude="@anthropic-ai/claude-code@$(version_of @anthropic-ai/claude-code)"
step "npm install -D the tarball, $codex, $claude (--prefer-offline)" npm install -D --prefer-offline --no-audit --no-fund "$work/$tgz" "$codex" "$claude"
if grep -q '@engine/engine.*(prepare\|@engine/engine.*install' "$log"; then fail "npm lists no install script of the engine's to approve"; else ok "npm lists no install script of the engine's to approve"; fi
for cli in engine codex claude; do
  if [ -x "$app/node_modules/.bin/$cli" ]; then ok "node_modules/.bin/$cli installed"; else fail "node_modules/.bin/$cli installed"; fi
done

bundle_current() {
  node -e "
    const { readFileSync } = require('node:fs');
    const dist = 'node_modules/@engine/engine/dist/';
    const info = require('node:crypto').createHash('sha256').update(readFileSync(dist + '.tsbuildinfo')).digest('hex');
    if (readFileSync(dist + 'engine.cjs.stamp', 'utf8').trim() !== info) { console.error('stamp does not match the build info'); process.exit(1); }
    if (!require('node:fs').readdirSync(dist + 'code-cache').includes(process.version + '-' + process.arch + '.bin')) { console.error('no code cache for this Node'); process.exit(1); }
  "
}
step "the installed launcher runs the bundle (its stamp matches; a code cache for this Node)" bundle_current

# --- set up, check, demo ----------------------------------------------------------------
step "npx engine init" npx --no-install engine init
# What it tells the user to run next is what runs here: not `engine …`, which no shell finds
# after a local install.
grep -q "^next: npx engine validate .engine/pipeline.yaml" "$log" && ok "init's next step says npx engine" || fail "init's next step says npx engine"
step "npx engine validate .engine/pipeline.yaml .engine/policy.yaml" npx --no-install engine validate .engine/pipeline.yaml .engine/policy.yaml
step "npx engine doctor exits 0" npx --no-install engine doctor
grep -q "worker.implementer.*codex $(version_of @openai/codex).*$app/node_modules/.bin/codex" "$log" && ok "doctor finds the project's codex" || fail "doctor finds the project's codex"
step "npx engine demo exits 0" npx --no-install engine demo --no-progress

committable() {
  local bad=0
  for f in .engine/pipeline.yaml .engine/policy.yaml; do
    if [ ! -f "$app/$f" ]; then echo "$f: missing"; bad=1; elif (cd "$app" && git check-ignore -q "$f"); then echo "$f: ignored by git ($(cd "$app" && git check-ignore -v "$f"))"; bad=1; fi
  done
  return $bad
}
step ".engine/pipeline.yaml and .engine/policy.yaml are committable after init" committable

# --- a TypeScript plugin against the public entry ---------------------------------------
mkdir -p "$app/tools"
cat >"$app/tools/note-worker.ts" <<'EOF'
// A worker plugin: answers each phase with its markers; the implementer writes notes/plugin.txt.
import { defineWorker, type NormalizedEvent, type ParsedOutcome, type ProcessExit, type WorkerCallContext } from '@engine/engine/plugin';

const answers: Record<string, unknown> = {
  explore: { info_needs: [], assumptions: ['a scratch project'], files_expected: ['notes/plugin.txt'] },
  plan: { milestones: [{ id: 'note', goal: 'write notes/plugin.txt', files_expected: ['notes/plugin.txt'], done_checks: ['npm test'], risk_level: 'low' }], assumptions: [] },
  implement: { status: 'done', summary: 'wrote notes/plugin.txt', files_changed: ['notes/plugin.txt'], commands_run: [], needs: null },
  repair: { status: 'done', summary: 'wrote notes/plugin.txt', files_changed: ['notes/plugin.txt'], commands_run: [], needs: null },
  review: { verdict: 'approve', changes: [] },
};

function script(ctx: WorkerCallContext): string {
  const markers = `BEGIN_MARKERS\n${JSON.stringify(answers[ctx.phase] ?? {})}\nEND_MARKERS`;
  const write = ctx.readOnly ? '' : "require('node:fs').mkdirSync('notes',{recursive:true});require('node:fs').writeFileSync('notes/plugin.txt','from the plugin\\n');";
  return `${write}process.stdout.write(${JSON.stringify(markers)} + '\\n');`;
}

export default defineWorker({
  name: 'note-worker',
  contract: 1,
  detectVersion: async () => '1.0.0',
  resolveBin: () => process.execPath,
  invoke: (ctx) => ({ bin: process.execPath, args: ['-e', script(ctx)], env: ctx.baseEnv, cwd: ctx.cwd, stdin: 'closed' }),
  createParser: () => {
    const lines: string[] = [];
    return {
      line(text: string): NormalizedEvent[] {
        lines.push(text);
        return [{ kind: 'message', text, role: 'assistant' }];
      },
      end(exit: ProcessExit): ParsedOutcome {
        const ok = exit.exitCode === 0;
        return { outcome: ok ? 'ok' : 'failed', finalText: lines.join('\n'), sessionId: null, dialect: 'note-worker', usage: null, costUsd: null, unknownEventTypes: {}, error: ok ? null : `exit ${exit.exitCode}` };
      },
    };
  },
});
EOF
step "tsc --strict compiles the plugin against @engine/engine/plugin" node "$root/node_modules/typescript/bin/tsc" --strict --target es2022 --module nodenext --moduleResolution nodenext --types node --typeRoots "$root/node_modules/@types" --outDir tools/dist tools/note-worker.ts
# The declarations themselves need no Node types: a module that only types against them
# compiles with no @types at all (an empty type root).
mkdir -p "$app/tools/no-types"
cat >"$app/tools/types-only.ts" <<'EOF'
import type { WorkerPlugin, WorkerCallContext } from '@engine/engine/plugin';
export type Checked = [WorkerPlugin, WorkerCallContext];
EOF
step "the plugin declarations compile without @types/node" node "$root/node_modules/typescript/bin/tsc" --strict --noEmit --target es2022 --module nodenext --moduleResolution nodenext --typeRoots tools/no-types tools/types-only.ts
sed -E 's#use: (codex|claude)$#use: ../tools/dist/note-worker.js#' "$app/.engine/pipeline.yaml" >"$app/.engine/plugin.pipeline.yaml"
step "the plugin pipeline validates" npx --no-install engine validate .engine/plugin.pipeline.yaml
# The same plugin as CommonJS (a .cts, as in a "type": "commonjs" project): tsc makes its
# import a require('@engine/engine/plugin'), which Node 20 meets only through the package's
# "require" condition (an ES module cannot be required there).
cp "$app/tools/note-worker.ts" "$app/tools/note-worker-cjs.cts"
step "tsc --strict compiles the plugin as CommonJS (.cts) against @engine/engine/plugin" node "$root/node_modules/typescript/bin/tsc" --strict --target es2022 --module nodenext --moduleResolution nodenext --types node --typeRoots "$root/node_modules/@types" --outDir tools/dist tools/note-worker-cjs.cts
step "the CommonJS plugin requires @engine/engine/plugin and loads" node -e "const p = require('./tools/dist/note-worker-cjs.cjs').default; if (p.name !== 'note-worker' || typeof p.invoke !== 'function') process.exit(1)"
sed -E 's#use: (codex|claude)$#use: ../tools/dist/note-worker-cjs.cjs#' "$app/.engine/pipeline.yaml" >"$app/.engine/plugin-cjs.pipeline.yaml"
step "the CommonJS plugin pipeline validates" npx --no-install engine validate .engine/plugin-cjs.pipeline.yaml
step "commit the engine config and the plugin" sh -c 'git add -A && git commit -q -m "engine config and a worker plugin"'

# --- runs: the project is left as it was -------------------------------------------------
cat >"$work/hello.scenario.yaml" <<'EOF'
apiVersion: engine/v1
kind: Scenario
name: hello
description: One milestone that writes notes/hello.txt.
replies:
  - phase: explore
    turns:
      - text: |
          BEGIN_MARKERS
          {"info_needs": [], "assumptions": ["a scratch project"], "files_expected": ["notes/hello.txt"]}
          END_MARKERS
  - phase: plan
    turns:
      - text: |
          BEGIN_MARKERS
          {"milestones": [{"id": "hello", "goal": "write notes/hello.txt", "files_expected": ["notes/hello.txt"], "done_checks": ["npm test"], "risk_level": "low"}], "assumptions": []}
          END_MARKERS
  - phase: implement
    turns:
      - actions:
          - write:
              path: notes/hello.txt
              content: "hello\n"
      - text: |
          BEGIN_MARKERS
          {"status": "done", "summary": "wrote notes/hello.txt", "files_changed": ["notes/hello.txt"], "commands_run": [], "needs": null}
          END_MARKERS
  - phase: review
    turns:
      - text: |
          BEGIN_MARKERS
          {"verdict": "approve", "changes": []}
          END_MARKERS
EOF
status_before=$(cd "$app" && git status --porcelain --untracked-files=all)
(cd "$app" && npm test) >"$work/test-before" 2>&1
# The pipeline is named: `engine run` without one finds .engine/pipeline.yaml once discovery lands.
for i in 1 2 3; do
  step "npx engine run --goal … --scenario (run $i)" npx --no-install engine run .engine/pipeline.yaml --goal "Add notes/hello.txt" --scenario "$work/hello.scenario.yaml" --no-progress
done
step "npx engine run through the TypeScript plugin" npx --no-install engine run .engine/plugin.pipeline.yaml --goal "Add notes/plugin.txt" --no-progress
grep -q "completed" "$log" && ok "the plugin run completed" || fail "the plugin run completed"
step "npx engine run through the CommonJS plugin" npx --no-install engine run .engine/plugin-cjs.pipeline.yaml --goal "Add notes/plugin.txt" --no-progress
grep -q "completed" "$log" && ok "the CommonJS plugin run completed" || fail "the CommonJS plugin run completed"
if (cd "$app" && npx --no-install engine report no-such-run) >"$log" 2>&1; then fail "report of an unknown run fails"; else grep -q '`npx engine report --all --repo ' "$log" && ok "report's hint says npx engine" || fail "report's hint says npx engine"; fi
# A run's records are read later from anywhere, where `npx engine` is another package of the
# registry: the command a stopped run's summary gives is the project's bin.
(cd "$app" && npx --no-install engine run .engine/pipeline.yaml --goal "Add notes/stopped.txt" --scenario "$work/hello.scenario.yaml" --no-progress --max-ticks 2) >"$log" 2>&1
grep -qF "'$app/node_modules/.bin/engine' resume " "$log" && ok "a stopped run's summary resumes with the project's bin" || fail "a stopped run's summary resumes with the project's bin"

(cd "$app" && npm test) >"$work/test-after" 2>&1
if diff -u "$work/test-before" "$work/test-after" >"$log"; then ok "npm test output unchanged after the runs"; else fail "npm test output unchanged after the runs"; fi
status_after=$(cd "$app" && git status --porcelain --untracked-files=all)
if [ "$status_before" = "$status_after" ]; then ok "git status unchanged after the runs"; else printf 'before:\n%s\nafter:\n%s\n' "$status_before" "$status_after" >"$log"; fail "git status unchanged after the runs"; fi
step ".engine/pipeline.yaml and .engine/policy.yaml still committable after the runs" committable

# --- a global install: `npm i -g` (here under a prefix of its own), the CLIs beside it ------
# The engine then finds its workers on PATH, and its hints say `engine`, not `npx engine`.
global="$work/global"
proj="$work/global project"
mkdir -p "$proj"
step "npm install -g the tarball, $codex, $claude (a prefix of its own)" npm install -g --prefix "$global" --prefer-offline --no-audit --no-fund "$work/$tgz" "$codex" "$claude"
gpath="$global/bin:$PATH"
if (cd "$proj" && PATH="$gpath" engine --version) >"$log" 2>&1 && grep -q "$(node -p "require('$root/package.json').version")" "$log"; then ok "engine --version from the global bin"; else fail "engine --version from the global bin"; fi
if (cd "$proj" && git init -q -b main && git config user.name Test && git config user.email test@example.com && git commit -q --allow-empty -m initial && PATH="$gpath" engine init) >"$log" 2>&1 && grep -q "^next: engine validate .engine/pipeline.yaml" "$log"; then ok "engine init in a project of its own; its next step says engine"; else fail "engine init in a project of its own; its next step says engine"; fi
if (cd "$proj" && PATH="$gpath" engine doctor) >"$log" 2>&1 && grep -q "worker.implementer.*codex $(version_of @openai/codex).*$global/bin/codex" "$log"; then ok "the doctor finds the global codex on PATH"; else fail "the doctor finds the global codex on PATH"; fi
if (cd "$proj" && PATH="$gpath" engine demo --dir "$work/global demo" --no-progress) >"$log" 2>&1 && grep -q "status: \*\*completed\*\*" "$log"; then ok "engine demo from the global install completes"; else fail "engine demo from the global install completes"; fi

# --- a pnpm project: the engine, the CLIs and a plugin installed by pnpm ---------------------
# pnpm links each package into a store of its own (node_modules/.pnpm/…): the engine's own
# directory has none of the project's packages above it, so it must find the CLIs from the
# project, and a plugin's import of @engine/engine/plugin goes through the project's link.
pnpm_tool="$work/pnpm-tool"
pproj="$work/pnpm project"
mkdir -p "$pproj/tools/dist"
if npm install --prefix "$pnpm_tool" --prefer-offline --no-audit --no-fund "pnpm@$PNPM_VERSION" >"$log" 2>&1; then ok "pnpm $PNPM_VERSION installed (a prefix of its own)"; else fail "pnpm $PNPM_VERSION installed (a prefix of its own)"; fi
pnpm=("$pnpm_tool/node_modules/.bin/pnpm")
printf '{ "name": "pnpm-app", "version": "1.0.0", "private": true }\n' >"$pproj/package.json"
printf 'node_modules/\n' >"$pproj/.gitignore"
cp "$app/tools/dist/note-worker.js" "$pproj/tools/dist/"
step_in "$pproj" "git init (the pnpm project)" sh -c 'git init -q -b main && git config user.name Test && git config user.email test@example.com && git add -A && git commit -q -m initial'
step_in "$pproj" "pnpm add -D the tarball, $codex, $claude" "${pnpm[@]}" add -D --config.confirmModulesPurge=false "$work/$tgz" "$codex" "$claude"
if [ -L "$pproj/node_modules/@engine/engine" ] && [ -d "$pproj/node_modules/.pnpm" ]; then ok "pnpm linked the engine from its store"; else fail "pnpm linked the engine from its store"; fi
step_in "$pproj" "pnpm exec engine init" "${pnpm[@]}" exec engine init
step_in "$pproj" "pnpm exec engine doctor exits 0" "${pnpm[@]}" exec engine doctor
grep -q "worker.implementer.*codex $(version_of @openai/codex).*$pproj/node_modules/.bin/codex" "$log" && ok "doctor finds the pnpm project's codex" || fail "doctor finds the pnpm project's codex"
step_in "$pproj" "pnpm exec engine demo exits 0" "${pnpm[@]}" exec engine demo --no-progress
sed -E 's#use: (codex|claude)$#use: ../tools/dist/note-worker.js#' "$pproj/.engine/pipeline.yaml" >"$pproj/.engine/plugin.pipeline.yaml"
step_in "$pproj" "commit the pnpm project's engine config and plugin" sh -c 'git add -A && git commit -q -m "engine config and a worker plugin"'
step_in "$pproj" "pnpm exec engine run --scenario" "${pnpm[@]}" exec engine run .engine/pipeline.yaml --goal "Add notes/hello.txt" --scenario "$work/hello.scenario.yaml" --no-progress
grep -q "status: \*\*completed\*\*" "$log" && ok "the pnpm project's run completed" || fail "the pnpm project's run completed"
step_in "$pproj" "pnpm exec engine run through the plugin (its import of @engine/engine/plugin through pnpm's link)" "${pnpm[@]}" exec engine run .engine/plugin.pipeline.yaml --goal "Add notes/plugin.txt" --no-progress
grep -q "status: \*\*completed\*\*" "$log" && ok "the pnpm project's plugin run completed" || fail "the pnpm project's plugin run completed"
finish
