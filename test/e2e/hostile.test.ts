import t from 'tap';
import { readdirSync, readFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { engine, readJsonl } from '../helpers/run-fixture.js';

const root = path.resolve(import.meta.dirname, '../..');
const hostileDir = path.join(root, 'tasks', 'hostile');

/** Each hostile task, run offline with the real CLIs, ends with the stop reason it declares. */
for (const file of readdirSync(hostileDir).filter((f) => f.endsWith('.task.yaml'))) {
  t.test(file, async (t) => {
    const task = parse(readFileSync(path.join(hostileDir, file), 'utf8')) as { expect: string };
    const repo = mkdtempSync(path.join(os.tmpdir(), 'engine-hostile-'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
    git('init', '-q');
    writeFileSync(path.join(repo, 'README.md'), '# target\n');
    git('add', '.');
    git('commit', '-qm', 'initial');
    const r = engine(['run', path.join(root, 'pipelines', 'default.pipeline.yaml'), '--repo', repo, '--task', path.join(hostileDir, file), '--run-id', 'h', '--no-progress'], { cwd: repo });
    const runDir = path.join(repo, '.engine', 'runs', 'h');
    const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
    t.equal(events.at(-1).stop_reason, task.expect, `${file} ends ${task.expect}\n${r.stderr}`);
    t.equal(r.code, task.expect === 'completed' ? 0 : 1);
    t.ok(existsSync(path.join(runDir, 'memo.md')), 'a memo for the stop');
    for (const call of readdirSync(path.join(runDir, 'calls'))) {
      t.ok(existsSync(path.join(runDir, 'calls', call, 'stdout.log')), `${call}: raw output kept`);
    }
    if (task.expect === 'parse_failed') {
      t.equal(events.filter((e) => e.type === 'parse.failed').length, 2, 'the answer and its repair both failed to parse');
      t.notOk(events.some((e) => e.type === 'worker.finished' && e.outcome !== 'ok'), 'never a worker failure');
    }
  });
}
