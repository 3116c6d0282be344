/**
 * File writing for call directories: atomic whole files (temp + rename) and a buffered
 * append-only writer for streams (stdout.log, events.jsonl). Impure.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
// Final files of a call directory are whole or absent (temp, rename), like every run record,
// but not fsynced one by one: the timeline, fsynced at the step's end, is what a resume
// trusts; a machine crash may cut the transcripts of the last step (decision 0006).
import { replaceFile } from '../store/atomic.js';

/** A call record, replaced whole (temp + rename). Impure. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  replaceFile(file, content);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** An append-only file written through a buffer with synchronous flushes: bounded memory. */
export class BufferedFileWriter {
  private readonly fd: number;
  private readonly buf: Buffer;
  private used = 0;
  written = 0;

  constructor(file: string, size = 256 * 1024) {
    this.fd = openSync(file, 'w');
    this.buf = Buffer.allocUnsafe(size);
  }

  write(data: Buffer | string): void {
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
      writeSync(this.fd, bytes);
      return;
    }
    if (this.used + bytes.length > this.buf.length) this.flush();
    bytes.copy(this.buf, this.used);
    this.used += bytes.length;
  }

  flush(): void {
    if (this.used > 0) writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A file written in one go, not atomically (side files of over-long lines). */
export function writeFilePlain(file: string, data: Buffer): void {
  writeFileSync(file, data);
}
