import t from 'tap';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TimelineWriter, type NewEvent } from '../../engine/store/timeline.js';
import { fileRecord, partsRecord, tamperedRecords, type RunRecord } from '../../engine/store/run-records.js';
import { rewriteFile } from '../../engine/store/atomic.js';

function setUp(t: { teardown(fn: () => void): void }): { file: string; timeline: TimelineWriter; record: RunRecord } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-run-records-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'timeline.jsonl');
  const timeline = new TimelineWriter(file, () => new Date('2026-12-01T00:00:00Z'));
  t.teardown(() => timeline.close());
  const warn = (detail: string) => ({ type: 'warning', step: null, milestone: null, attempt: null, code: 'bench', detail }) as unknown as NewEvent;
  // Text beyond ASCII: the digest is over the bytes the file holds, not the characters.
  for (let i = 0; i < 200; i++) timeline.append(warn(`event ${i}: «${'é'.repeat(i % 7)}» 日本`));
  const record: RunRecord = { file, name: 'timeline.jsonl', digest: () => timeline.digest, restore: () => timeline.restore() };
  return { file, timeline, record };
}

t.test('tamperedRecords: a timeline checked by its digest is clean as written and after more appends', async (t) => {
  const { timeline, record } = setUp(t);
  t.strictSame(tamperedRecords([record]), []);
  timeline.append({ type: 'warning', step: null, milestone: null, attempt: null, code: 'bench', detail: 'one more' } as unknown as NewEvent);
  t.strictSame(tamperedRecords([record]), []);
});

t.test('tamperedRecords: every change to the timeline is found, and restore makes it clean again', async (t) => {
  const changes: Array<[string, (file: string) => void]> = [
    ['one byte changed in the middle, same size', (f) => {
      const b = readFileSync(f);
      const at = Math.floor(b.length / 2);
      b[at] = b[at] === 0x31 ? 0x32 : 0x31;
      writeFileSync(f, b);
    }],
    ['a line appended', (f) => appendFileSync(f, '{"seq":999}\n')],
    ['the last byte cut', (f) => writeFileSync(f, readFileSync(f).subarray(0, -1))],
    ['emptied', (f) => writeFileSync(f, '')],
    ['deleted', (f) => unlinkSync(f)],
    ['two lines swapped, same bytes', (f) => {
      const lines = readFileSync(f, 'utf8').split('\n');
      [lines[3], lines[4]] = [lines[4]!, lines[3]!];
      writeFileSync(f, lines.join('\n'));
    }],
  ];
  for (const [label, change] of changes) {
    const { file, record } = setUp(t);
    const before = readFileSync(file);
    change(file);
    t.strictSame(tamperedRecords([record]).map((r) => r.name), ['timeline.jsonl'], `${label}: found`);
    record.restore();
    t.strictSame(readFileSync(file), before, `${label}: restored byte for byte`);
    t.strictSame(tamperedRecords([record]), [], `${label}: clean after restore`);
  }
});

t.test('tamperedRecords: a record without a digest is still compared by its text', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-run-records-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'state.json');
  writeFileSync(file, '{"a":1}\n');
  const record = fileRecord(file, 'state.json', () => '{"a":1}\n');
  t.strictSame(tamperedRecords([record]), []);
  writeFileSync(file, '{"a":2}\n');
  t.strictSame(tamperedRecords([record]).map((r) => r.name), ['state.json']);
  record.restore();
  t.strictSame(tamperedRecords([record]), []);
});

t.test('partsRecord: state.json written in parts is checked by their length and hash, and restored whole', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-run-records-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'state.json');
  let parts: Buffer[] | null = null;
  const record = partsRecord(file, 'state.json', () => parts);
  t.strictSame(tamperedRecords([record]), [], 'nothing written yet: nothing to check');
  const write = (texts: string[]) => {
    parts = texts.map((x) => Buffer.from(x));
    rewriteFile(file, parts);
  };
  write(['{\n  "a": ', '"é日本"', ',\n  "b": 1\n}\n']);
  t.equal(readFileSync(file, 'utf8'), '{\n  "a": "é日本",\n  "b": 1\n}\n', 'the parts, one after the other');
  t.strictSame(tamperedRecords([record]), [], 'clean as written');
  writeFileSync(file, '{\n  "a": "é日本",\n  "b": 2\n}\n');
  t.strictSame(tamperedRecords([record]), [record], 'one byte changed, same size');
  record.restore();
  t.equal(readFileSync(file, 'utf8'), '{\n  "a": "é日本",\n  "b": 1\n}\n', 'restored whole');
  t.strictSame(tamperedRecords([record]), []);
  write(['{}\n']);
  t.strictSame(tamperedRecords([record]), [], 'a new write is checked against its own parts');
  unlinkSync(file);
  t.strictSame(tamperedRecords([record]), [record], 'deleted');
});
