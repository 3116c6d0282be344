/**
 * File writing for call directories: atomic whole files (temp + rename) and a buffered
 * append-only writer for streams (stdout.log, events.jsonl). Impure.
 */
import { closeSync, writeSync } from 'node:fs';
import { openFreshFile, writeFreshFile } from '../util/open-own-file.js';
// Final files of a call directory are whole or absent (temp, rename), like every run record,
// but not fsynced one by one: the timeline, fsynced at the step's end, is what a resume
// trusts; a machine crash may cut the transcripts of the last step (decision 0006).
import { replaceFile } from '../store/atomic.js';
import { nameError } from '../util/name-error.js';

/** A call record, replaced whole (temp + rename). Impure. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  replaceFile(file, content);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

const DEFAULT_BUFFER = 256 * 1024;
/**
 * Buffers of closed writers, reused by the next ones: every worker call opens three logs, and
 * a fresh 256 KiB each time is garbage the heap only frees late (it grows the engine's memory
 * with every call).
 */
const spare: Buffer[] = [];
const MAX_SPARE = 4;

/** An append-only file written through a buffer with synchronous flushes: bounded memory. */
export class BufferedFileWriter {
  private readonly fd: number;
  private buf: Buffer;
  private used = 0;
  private closed = false;
  written = 0;

  constructor(
    private readonly file: string,
    size = DEFAULT_BUFFER,
  ) {
    // A fresh file, never one found at the name (a call's transcript names are guessable).
    this.fd = openFreshFile(file);
    this.buf = (size === DEFAULT_BUFFER && spare.pop()) || Buffer.allocUnsafe(size);
  }

  write(data: Buffer | string): void {
    // After close the fd number may already be another file's: never write through it.
    if (this.closed) throw Object.assign(new Error('write to a closed BufferedFileWriter'), { code: 'EBADF' });
    if (typeof data === 'string') {
      // Encode straight into the buffer when it fits: no per-line allocation.
      const room = this.buf.length - this.used;
      if (data.length * 3 <= room) {
        const n = this.buf.write(data, this.used, 'utf8');
        this.used += n;
        this.written += n;
        return;
      }
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.written += bytes.length;
    if (bytes.length >= this.buf.length) {
      this.flush();
      this.writeOut(bytes, bytes.length);
      return;
    }
    if (this.used + bytes.length > this.buf.length) this.flush();
    bytes.copy(this.buf, this.used);
    this.used += bytes.length;
  }

  flush(): void {
    if (this.used > 0) this.writeOut(this.buf, this.used);
    this.used = 0;
  }

  /** The first `length` bytes of `bytes` to the file; a refusal names the file (a write names none). */
  private writeOut(bytes: Buffer, length: number): void {
    try {
      writeSync(this.fd, bytes, 0, length);
    } catch (error) {
      throw nameError(error, this.file);
    }
  }

  close(): void {
    // A second close must not close an fd number another file has reused since.
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
    // The buffer goes back for the next writer; this one keeps none.
    if (this.buf.length === DEFAULT_BUFFER && spare.length < MAX_SPARE) spare.push(this.buf);
    this.buf = Buffer.alloc(0);
  }
}

/** A file written in one go, not atomically (side files of over-long lines), never through a link found at its name. */
export function writeFilePlain(file: string, data: Buffer): void {
  writeFreshFile(file, data);
}
