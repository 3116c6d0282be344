import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { packageRoot } from '../../engine/paths.js';
import { bareNode } from '../helpers/run-fixture.js';

/**
 * Hostile config files never crash `engine validate`: 1,200 seeded mutations of the shipped
 * pipeline, policy, task and scenario files all exit 0 or 2 (never 70), and every diagnostic
 * names `path:line:col`. The bulk runs in-process through the CLI kernel; a sample runs
 * through the real `bin/engine.js`.
 */

const SEED = Number(process.env.ENGINE_FUZZ_SEED ?? 20261201);
const COUNT = Number(process.env.ENGINE_FUZZ_COUNT ?? 1200);
const SPAWNED = 24;

const SOURCES = [
  'pipelines/default.pipeline.yaml',
  'policies/default.policy.yaml',
  'tasks/golden/ambiguous-bootstrap.task.yaml',
  'tasks/golden/ambiguous-bootstrap.scenario.yaml',
  'tasks/golden/ambiguous-bootstrap.policy.yaml',
  'tasks/hostile/garbage-markers.task.yaml',
  'tasks/hostile/garbage-markers.scenario.yaml',
];

/** mulberry32: a small seeded generator, so a failure names the seed that reproduces it. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Every path to a value in plain data. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (v !== null && typeof v === 'object') {
    for (const [k, c] of Object.entries(v)) {
      const seg = Array.isArray(v) ? Number(k) : k;
      out.push([...at, seg]);
      paths(c, [...at, seg], out);
    }
  }
  return out;
}

function parentOf(root: unknown, p: (string | number)[]): Record<string | number, unknown> | undefined {
  let v = root;
  for (const s of p.slice(0, -1)) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[s] : undefined;
  return v as Record<string | number, unknown> | undefined;
}

const WRONG_VALUES: unknown[] = [null, 0, -1, 1.5, 1e308, true, false, '', 'x', '∞', [], [1, 'a'], {}, { a: 1 }, 'use', '../../etc/passwd', '${HOME}', 'a'.repeat(5000)];

/** Structural mutations: on the data, written back as YAML. */
function mutateData(r: Rand, data: unknown): string {
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const all = paths(data);
    if (all.length === 0) break;
    const p = pick(r, all);
    const parent = parentOf(data, p);
    if (!parent || typeof parent !== 'object') continue;
    const key = p.at(-1)!;
    const op = Math.floor(r() * 4);
    if (op === 0) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    } else if (op === 1) parent[key] = pick(r, WRONG_VALUES);
    else if (op === 2 && !Array.isArray(parent)) parent[pick(r, ['if', 'run', 'name', 'timeout-minutes', 'steps', 'kind', 'tier', 'x-y', '__proto__', 'constructor'])] = pick(r, WRONG_VALUES);
    else parent[key] = { nested: parent[key], again: [parent[key]] };
  }
  return stringify(data);
}

function nestMaps(depth: number): string {
  let s = '';
  for (let i = 0; i < depth; i++) s += `${' '.repeat(i)}k${i}:\n`;
  return `${s}${' '.repeat(depth)}leaf: 1\n`;
}

function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < levels; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  return lines.join('\n');
}

/** Text mutations: the shapes a parser has to survive. */
function mutateText(r: Rand, text: string): string {
  const lines = text.split('\n');
  const at = Math.floor(r() * lines.length);
  const op = Math.floor(r() * 20);
  switch (op) {
    case 0:
      return '';
    case 1:
      return '\uFEFF' + text;
    case 2: {
      const bytes = Array.from({ length: 1 + Math.floor(r() * 400) }, () => String.fromCharCode(Math.floor(r() * 256)));
      return bytes.join('');
    }
    case 3:
      return text.slice(0, Math.floor(r() * text.length));
    case 4:
      return lines.map((l) => l.replace(/^( {2})+/, (m) => '\t'.repeat(m.length / 2))).join('\n');
    case 5:
      lines.splice(at, 0, lines[at] ?? 'kind: Pipeline');
      return lines.join('\n');
    case 6:
      lines.splice(at, 1);
      return lines.join('\n');
    case 7:
      return `${text}\n${aliasBomb(3 + Math.floor(r() * 7))}\n`;
    case 8:
      return `${text}\nbomb: *nowhere\n`;
    case 9:
      return text.replace(/: (\S+)$/m, ': &anchor $1') + '\nextra: *anchor\nmore: &anchor 2\nagain: *anchor\n';
    case 10:
      return `${text}\ndeep: ${'['.repeat(1000 + Math.floor(r() * 5000))}${']'.repeat(Math.floor(r() * 2) ? 0 : 6000)}\n`;
    case 11:
      return `${text}\ndeep:\n${nestMaps(200 + Math.floor(r() * 800)).replace(/^/gm, '  ')}`;
    case 12:
      return `${text}\n---\nkind: Pipeline\n`;
    case 13:
      return text.replace(/\n/g, '\r\n');
    case 14:
      lines[at] = `${lines[at] ?? ''}: : {[}`;
      return lines.join('\n');
    case 15:
      return `${text}\nrecursive: &r { self: *r }\n`;
    case 16:
      return `${text}\n? [a, b]\n: 1\n`;
    case 17:
      return `${text}\n__proto__: {polluted: 1}\nnull: 1\n`;
    case 18:
      return `${text}\ntagged: !!js/function "x"\nbin: !!binary "AAEC"\n`;
    default:
      return `${text}\nmerge:\n  <<: [${Array(50).fill('*anchor').join(', ')}]\n`;
  }
}

function mutate(r: Rand, text: string): string {
  if (r() < 0.45) {
    let data: unknown;
    try {
      data = parse(text);
    } catch {
      return mutateText(r, text);
    }
    const out = mutateData(r, data);
    return r() < 0.3 ? mutateText(r, out) : out;
  }
  return mutateText(r, text);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-fuzz-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// The tasks name their scenarios relative to themselves; keep the originals beside the mutants.
for (const src of SOURCES) copyFileSync(path.join(packageRoot, src), path.join(dir, path.basename(src)));

const r = rng(SEED);
const cases: { name: string; code?: number; err?: string }[] = [];
for (let i = 0; i < COUNT; i++) {
  const src = pick(r, SOURCES);
  const base = path.basename(src);
  const name = `m${i}-${base}`;
  writeFileSync(path.join(dir, name), mutate(r, readFileSync(path.join(packageRoot, src), 'utf8')), 'latin1');
  cases.push({ name });
}

/** A diagnostic line: `path:line:col: error|warning CODE message`, with line and col >= 1. */
const DIAGNOSTIC = /^(m\d+-[\w.-]+\.yaml):([1-9]\d*):([1-9]\d*): (error|warning) E_[A-Z_]+ /;

/** What is wrong with one result, or nothing. */
function problems(name: string, code: number, err: string): string[] {
  const lines = err.split('\n').filter((l) => l !== '');
  const out: string[] = [];
  if (code !== 0 && code !== 2) out.push(`${name}: exit ${code}: ${err.slice(0, 300)}`);
  else for (const l of lines.filter((l) => !DIAGNOSTIC.test(l)).slice(0, 2)) out.push(`${name}: no path:line:col: ${l.slice(0, 300)}`);
  if (code === 2 && lines.length === 0) out.push(`${name}: exit 2 with no diagnostic`);
  return out;
}

t.test(`${COUNT} mutated files through the validate command in-process (seed ${SEED})`, async (t) => {
  const exits = new Map<number, number>();
  const found: string[] = [];
  for (const c of cases) {
    const io = memoryIo({ cwd: dir });
    const code = await main(['validate', c.name], io);
    c.code = code;
    c.err = io.err.join('');
    exits.set(code, (exits.get(code) ?? 0) + 1);
    found.push(...problems(c.name, code, c.err));
  }
  t.same(found.slice(0, 30), [], `every exit is 0 or 2 and every diagnostic has path:line:col (seed ${SEED}, ${found.length} problems)`);
  t.ok((exits.get(2) ?? 0) > COUNT / 2, `most mutants are rejected with exit 2 (${JSON.stringify([...exits])})`);
  t.ok((exits.get(0) ?? 0) > 0, 'some mutants are still valid (deleting an optional key, say)');
});

t.test(`a sample of ${SPAWNED} through the real bin/engine.js agrees`, async (t) => {
  const run = promisify(execFile);
  const sample = Array.from({ length: SPAWNED }, (_, i) => cases[Math.floor((i * cases.length) / SPAWNED)]!);
  // The hardest shapes always go through the real process: deep nesting and alias bombs.
  const bin = path.join(packageRoot, 'bin/engine.js');
  const hard = path.join(dir, 'hard.pipeline.yaml');
  writeFileSync(hard, `kind: Pipeline\napiVersion: engine/v1\n${aliasBomb(9)}\ndeep: ${'['.repeat(5000)}\n`);
  const found: string[] = [];
  for (const c of [...sample, { name: 'hard.pipeline.yaml', code: 2, err: undefined }]) {
    let code = 0;
    let err = '';
    try {
      const res = await run('/usr/bin/env', [...bareNode, bin, 'validate', c.name], { cwd: dir, maxBuffer: 1 << 24 });
      err = res.stderr;
    } catch (e) {
      const x = e as { code?: number; stderr?: string };
      code = typeof x.code === 'number' ? x.code : -1;
      err = x.stderr ?? '';
    }
    found.push(...problems(c.name, code, err.replace(/^hard/gm, 'm0-hard')));
    if (code !== c.code) found.push(`${c.name}: exit ${code} spawned, ${c.code} in-process`);
  }
  t.same(found, [], 'the real CLI exits 0 or 2 with located diagnostics, as in-process');
});

t.test('rejected mutants given to `engine run` are refused with exit 2, never 70', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const repo = path.join(dir, 'repo');
  execFileSync('git', ['init', '-q', repo]);
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '--allow-empty', '-m', 'i'], { cwd: repo });
  const pipeline = path.join(packageRoot, 'pipelines/default.pipeline.yaml');
  const rejected = cases.filter((c) => c.code === 2);
  const pick = (suffix: string, n: number) => rejected.filter((c) => c.name.endsWith(suffix)).slice(0, n);
  const runs: [string, string[]][] = [
    ...pick('.pipeline.yaml', 15).map((c): [string, string[]] => [c.name, [path.join(dir, c.name), '--goal', 'x']]),
    ...pick('.policy.yaml', 15).map((c): [string, string[]] => [c.name, [pipeline, '--goal', 'x', '--policy', path.join(dir, c.name)]]),
    ...pick('.task.yaml', 15).map((c): [string, string[]] => [c.name, [pipeline, '--task', path.join(dir, c.name)]]),
  ];
  t.ok(runs.length >= 40, `${runs.length} refused runs`);
  const found: string[] = [];
  for (const [name, args] of runs) {
    const io = memoryIo({ cwd: repo });
    const code = await main(['run', ...args, '--repo', repo, '--no-progress', '--json'], io);
    if (code !== 2) found.push(`${name}: run exit ${code}: ${io.out.join('').slice(0, 300)} ${io.err.join('').slice(0, 300)}`);
  }
  t.same(found, [], 'every refused run exits 2');
});
