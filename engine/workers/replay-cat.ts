/**
 * The process the replay worker runs: prints a recorded call's stdout.log (with over-long
 * lines put back from their side files) and stderr.log, and exits with the recorded exit
 * code. Usage: node replay-cat.js <call-dir>. Only node builtins: it runs from dist/.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const REFERENCE = /^\[engine: line \d+ \(\d+ bytes, sha256 [0-9a-f]{64}\) moved to (stdout\.line-\d+\.txt)\]$/;

export function replayCall(dir: string, out: (b: Buffer | string) => void, err: (b: Buffer | string) => void): number {
  const stdout = readRecorded(path.join(dir, 'stdout.log'));
  let start = 0;
  while (start < stdout.length) {
    let nl = stdout.indexOf(0x0a, start);
    const end = nl === -1 ? stdout.length : nl;
    const line = stdout.subarray(start, end);
    const ref = line.length < 200 ? REFERENCE.exec(line.toString('utf8')) : null;
    out(ref ? readRecorded(path.join(dir, ref[1]!)) : line);
    if (nl !== -1) out('\n');
    else nl = stdout.length;
    start = nl + 1;
  }
  const stderrFile = path.join(dir, 'stderr.log');
  if (lstatSync(stderrFile, { throwIfNoEntry: false })) err(readRecorded(stderrFile));
  const meta = parseRecorded(path.join(dir, 'meta.json')) as { exit_code?: number | null };
  return typeof meta.exit_code === 'number' ? meta.exit_code : 0;
}

/** A recorded JSON file parsed; not JSON: an error naming it that quotes none of it (V8's quotes the text's start). */
function parseRecorded(file: string): unknown {
  const text = readRecorded(file).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON`);
  }
}

/**
 * A record of the recorded call, read only as the regular file at its name: never through a
 * link, symbolic or hard (a recording passed on could lead to the replaying user's own files,
 * copied then into the new run's transcript), and never from a FIFO or a device (/dev/zero
 * never ends), opened without blocking. Throws, naming the file, for anything else.
 */
function readRecorded(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ELOOP' ? `${file} is a link: a recorded call's records are read only as the files there` : (error as Error).message);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is not a regular file`);
    // A hard link is one too (O_NOFOLLOW stops only a symbolic one): the engine makes every
    // call record with one name, so a second is someone else's file there (docs/report.md).
    if (st.nlink > 1) throw new Error(`${file} has another name (a hard link): a recorded call's records are read only as the files there`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = replayCall(process.argv[2] ?? '.', (b) => process.stdout.write(b), (b) => process.stderr.write(b));
  process.stdout.end(() => process.exit(code));
}
