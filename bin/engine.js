#!/usr/bin/env node
// Launcher (CommonJS, see bin/package.json: the ES module loader is not needed to start).
// The CLI is compiled to dist/ and bundled into one file, dist/engine.cjs, so a command does
// not pay for resolving and compiling some 200 module files. The bundle is compiled through a
// V8 code cache kept next to it, one per Node version and architecture, so what a `validate`
// runs is not parsed again. Under --enable-source-maps the bundle is required as a module
// instead (Node applies source maps to modules only), so stack traces name engine/*.ts.
// Without a current bundle (a plain `tsc` build, or a `tsc` since the bundle was made) or
// with ENGINE_NO_BUNDLE=1, the ES modules in dist/ run instead. Current is decided by content,
// never by mtimes (an install gives every file a new one): see bundleIsCurrent.
'use strict';
// Ctrl-C or a SIGTERM before the command has handlers of its own (a run sets them up once its
// options are read, about 130 ms in; report and clean have none) ended the process by the
// signal's default: 143 with no word, where an interrupt is 130 (contract §2). The command
// that sets up its own takes these away (takeEarlySignals, engine/util/early-signals.ts).
// SIGHUP is left alone: the terminal it speaks of is gone.
const EARLY_SIGNALS = ['SIGINT', 'SIGTERM'];
function onEarlySignal(signal) {
  process.stderr.write(`engine: interrupted (${signal})\n`);
  process.exit(130);
}
for (const s of EARLY_SIGNALS) process.on(s, onEarlySignal);
globalThis[Symbol.for('engine.takeEarlySignals')] = () => {
  for (const s of EARLY_SIGNALS) process.off(s, onEarlySignal);
};
// Node's own modules are compiled through the code cache built into node, which V8 takes only
// under the flags it was made with: once the line below changes one, each of them a command
// loads later is compiled from its source (a run's child_process, net, zlib and crypto: 25 ms
// of CPU where the cache takes 7). So what a command is sure to load is loaded first: every
// command hashes the build info with crypto (bundleIsCurrent) and reads its arguments with
// util.parseArgs; the commands that drive runs start processes, talk to local servers,
// compress objects and read files through promises; the demo and the suite serve their
// scripted model over http. Not more: loaded through the cache, http alone costs 5 ms.
const RUN_COMMANDS = new Set(['run', 'resume', 'demo', 'suite']);
const MODEL_COMMANDS = new Set(['demo', 'suite']);
require('node:crypto');
void require('node:util').parseArgs;
if (RUN_COMMANDS.has(process.argv[2])) for (const id of ['node:child_process', 'node:net', 'node:zlib', 'node:fs/promises', 'node:os']) require(id);
if (MODEL_COMMANDS.has(process.argv[2])) for (const id of ['node:http', 'node:dns', 'node:cluster']) require(id);
// A command's own JavaScript is mostly glue around processes and files, and its process lives
// seconds to hours, most of it waiting. V8 optimized what ran a few thousand times (TurboFan,
// compiling on threads of its own), which in a run cost more CPU than it saved: at 8 times the
// budget only code that keeps running (a report over thousands of runs, a large output's
// redaction) is optimized. Set before anything is compiled: the code caches are made under the
// same flags (V8 rejects a cache made under others). Measured in bench/compare.mjs, 20 milestones.
require('node:v8').setFlagsFromString('--interrupt-budget=540672');
const { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { isAscii } = require('node:buffer');
const { createRequire } = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const dist = path.join(__dirname, '..', 'dist');
// RUN_COMMANDS (above): the commands that drive runs in their own process. Their code cache is
// one of its own, holding a run's functions too (its loop, workers, git, governance, sandbox:
// about 35 ms of CPU a run compiled them at each start); in the others' cache those would only
// cost a `validate` or a `--version` the reading (about 10 ms). V8 takes one cache per script.
const bundle = path.join(dist, 'engine.cjs');
const dynamicImport = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;

async function start() {
  if (process.platform === 'win32') {
    // Workers run as POSIX process groups (started detached, ended by group with signals).
    process.stderr.write('engine: Windows is not supported: the engine needs POSIX processes and signals to run and stop workers; use WSL or a Linux or macOS machine\n');
    process.exitCode = 4;
    return;
  }
  const useBundle = !process.env.ENGINE_NO_BUNDLE && dynamicImport && bundleIsCurrent();
  const cli = !useBundle ? await import('../dist/engine/cli/main.js') : askedForSourceMaps() ? require(bundle) : loadBundle();
  process.exitCode = await cli.runCli(process.argv.slice(2));
  if (cli.afterRun) cli.afterRun();
  // Once the event loop is empty (every write to stdout and stderr done, on an asynchronous
  // pipe too, every file closed, every server and child's stream gone), exit at once: what
  // Node does after that point, tearing down its environment and V8's heap, only costs time
  // (after `run.finished`: 33 → 30 ms for a run of one milestone, 52 → 43 for the demo).
  process.once('beforeExit', () => process.exit());
}

/**
 * The bundle exists and was made from the modules now in dist/engine/: the build wrote the
 * sha256 of tsc's build info (dist/.tsbuildinfo, rewritten by every tsc that emits) next to
 * the bundle. A bare `tsc` over an earlier full build changes the build info, and then the
 * modules are what is current. Copies and installs keep both files as they are.
 */
function bundleIsCurrent() {
  if (!existsSync(bundle)) return false;
  try {
    const stamp = readFileSync(`${bundle}.stamp`, 'utf8').trim();
    const info = readFileSync(path.join(dist, '.tsbuildinfo'));
    return stamp === require('node:crypto').createHash('sha256').update(info).digest('hex');
  } catch {
    return false;
  }
}

/** --enable-source-maps given (NODE_V8_COVERAGE also turns source maps on; it is not asking). */
function askedForSourceMaps() {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS || '').split(/\s+/)].includes('--enable-source-maps');
}

/** The bundle's exports, compiled with the code cache when there is a usable one. */
function loadBundle() {
  const cacheFile = path.join(dist, 'code-cache', `${process.version}-${process.arch}${RUN_COMMANDS.has(process.argv[2]) ? '-run' : ''}.bin`);
  const module = { exports: {} };
  const compiled = runCommonJs(bundle, readSource(bundle), cacheFile, module, bundleRequire(), { importModuleDynamically: dynamicImport });
  return {
    runCli: module.exports.runCli,
    // A missing cache is written once, from the functions this command compiled, under the
    // flags the command started with (a run changes some as it goes; V8 stamps a cache with
    // those in force). A rejected one (other V8 flags) is left alone, so two kinds of callers
    // do not take turns.
    afterRun: compiled.cached
      ? undefined
      : () => {
          if (module.exports.restoreStartFlags) module.exports.restoreStartFlags();
          writeCodeCache(cacheFile, compiled.script.createCachedData());
        },
  };
}

/**
 * The bundle's `require`: its vendor files (dist/vendor/*.cjs, the libraries only a run
 * needs) compiled through code caches of their own, anything else as Node requires it.
 * Compiled by Node's loader they cost a run about 14 ms at each start; with a cache, 5.
 */
function bundleRequire() {
  const requireHere = createRequire(bundle);
  const vendors = new Map();
  return function require(id) {
    if (!/^\.\/vendor\/[a-z-]+\.cjs$/.test(id)) return requireHere(id);
    let module = vendors.get(id);
    if (!module) {
      module = { exports: {} };
      vendors.set(id, module);
      try {
        loadVendor(path.join(dist, id), module);
      } catch (error) {
        // As Node's loader does: a file that failed is not a module to hand out later.
        vendors.delete(id);
        throw error;
      }
    }
    return module.exports;
  };
}

/**
 * Runs one vendor file as a CommonJS module into `module`, through a code cache named by
 * the Node version, the architecture and the sha256 of the file's text (V8 itself checks a
 * cache against the length of the source only), written when there is none. Impure.
 */
function loadVendor(file, module) {
  const source = readSource(file);
  const hash = require('node:crypto').createHash('sha256').update(source).digest('hex').slice(0, 16);
  const cacheFile = path.join(dist, 'code-cache', `${process.version}-${process.arch}-${path.basename(file, '.cjs')}-${hash}.bin`);
  const compiled = runCommonJs(file, source, cacheFile, module, createRequire(file));
  if (!compiled.cached) writeCodeCache(cacheFile, compiled.script.createCachedData());
}

/**
 * A file's text. The build makes every file the launcher compiles ASCII (scripts/bundle-cli.mjs,
 * assertAscii), and ASCII read as Latin-1 is the same text made in about half the time (1 MB:
 * 12 → 7 ms); a file that is not ASCII after all (edited by hand) is decoded as UTF-8. Impure.
 */
function readSource(file) {
  const bytes = readFileSync(file);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * Runs `source` (the text of `file`) as a CommonJS module into `module`, compiled with the
 * code cache in `cacheFile` when there is one (V8 uses it, or rejects it and compiles). The
 * script, to make a cache from, and whether a cache was read. Impure.
 */
function runCommonJs(file, source, cacheFile, module, requireFn, scriptOptions = {}) {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* none yet: the caller writes one from what running the file compiled */
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData, ...scriptOptions });
  script.runInThisContext()(module.exports, requireFn, module, file, path.dirname(file));
  return { script, cached: cachedData !== undefined };
}

function writeCodeCache(file, data) {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    // Created, never opened as found ('wx': a name already there, a planted link included,
    // fails): the temp name is guessable, and without the OS sandbox a worker can write here.
    writeFileSync(tmp, data, { flag: 'wx' });
    renameSync(tmp, file);
  } catch {
    /* a read-only install, or a name taken: this start runs without writing the cache */
  }
}

/**
 * Writes the vendor files' code caches that are missing (the build calls it, so that a run
 * after the build never writes into dist/code-cache: a run watches the install, that
 * directory included, and a cache appearing there mid-run is taken for a planted one).
 */
function warmVendorCaches() {
  const { readdirSync } = require('node:fs');
  const load = bundleRequire();
  for (const name of readdirSync(path.join(dist, 'vendor')).filter((n) => n.endsWith('.cjs'))) load(`./vendor/${name}`);
}

// Started as a program (node bin/engine.js, or npm's link to it); required, it lends the build its cache writer.
if (require.main === module) start();
else module.exports = { warmVendorCaches };
