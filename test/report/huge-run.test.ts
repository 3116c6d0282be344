import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';

// A worker's plan sets how many milestones a run has (nothing bounds it), and a long run's
// timeline how many samples the KPIs pool. `Math.max(...rows)` and `push(...values)` pass each
// element as an argument: past about 125,000 V8 throws, and `engine report` exited 70.
const here = path.dirname(fileURLToPath(import.meta.url));
const base = mkdtempSync(path.join(os.tmpdir(), 'engine-huge-report-'));
t.teardown(() => rmSync(base, { recursive: true, force: true }));
const store = path.join(base, 'store');
mkdirSync(store);
cpSync(path.join(here, '..', 'fixtures', 'report-store', 'runs', 's1'), path.join(store, 's1'), { recursive: true });

async function report(args: string[]): Promise<{ code: number; err: string }> {
  const io = memoryIo({ cwd: base });
  const code = await main(['report', ...args, '--store', store, '--repo', base], io);
  return { code, err: io.err.join('') };
}

t.test('a plan of 150,000 milestones', async (t) => {
  const file = path.join(store, 's1', 'state.json');
  const state = JSON.parse(readFileSync(file, 'utf8'));
  state.milestones = Array.from({ length: 150_000 }, (_, i) => ({ id: `m${i}`, goal: 'g', files_expected: ['src/a.txt'] }));
  writeFileSync(file, JSON.stringify(state));
  for (const args of [['s1'], ['s1', '--json'], ['s1', '--html', path.join(base, 'r.html')], ['--all']]) {
    const r = await report(args);
    t.not(r.code, 70, `${args.join(' ')}: ${r.err.slice(0, 400)}`);
  }
});

t.test('a timeline of 150,000 verification samples', async (t) => {
  const file = path.join(store, 's1', 'timeline.jsonl');
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const verify = lines.find((l) => l.includes('"type":"verify.finished"'))!;
  const end = lines.findIndex((l) => l.includes('"type":"run.finished"'));
  const many = Array.from({ length: 150_000 }, () => verify);
  writeFileSync(file, [...lines.slice(0, end), ...many, ...lines.slice(end)].join('\n') + '\n');
  for (const args of [['s1'], ['s1', '--json'], ['--all']]) {
    const r = await report(args);
    t.not(r.code, 70, `${args.join(' ')}: ${r.err.slice(0, 400)}`);
  }
});
