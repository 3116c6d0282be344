/**
 * A byte-level line splitter for worker stdout. Lines end at `\n` bytes only: a UTF-8 code
 * point split across chunks is joined before decoding, and U+2028/U+2029 (which some JSON
 * line readers treat as breaks) stay inside their line. Pure apart from the callback.
 */
export interface RawLine {
  /** 1-based line number in the stream. */
  index: number;
  /** The line's bytes without its `\n` (a trailing `\r` is kept: this is the verbatim line). */
  bytes: Buffer;
  /** False for a last line that ended without `\n`. */
  newline: boolean;
  /** The line was longer than maxLineBytes: `bytes` holds its start only, `length` its full size. */
  overflow: boolean;
  /** Full length of the line in bytes (without `\n`). */
  length: number;
}

export interface LineSplitter {
  push(chunk: Buffer): void;
  /** The stream ended: a final line without newline still counts. */
  end(): void;
}

/** Default limit on the bytes of one line kept in memory (the rest is counted, not kept). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export function createLineSplitter(onLine: (line: RawLine) => void, maxLineBytes = MAX_LINE_BYTES): LineSplitter {
  let parts: Buffer[] = [];
  let kept = 0;
  let length = 0;
  let index = 0;

  const keep = (piece: Buffer): void => {
    length += piece.length;
    if (kept >= maxLineBytes) return;
    const room = maxLineBytes - kept;
    const slice = piece.length > room ? piece.subarray(0, room) : piece;
    // No copy: chunks from streams are never reused, and a line is consumed synchronously.
    parts.push(slice);
    kept += slice.length;
  };
  const emit = (newline: boolean): void => {
    index += 1;
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, kept);
    onLine({ index, bytes, newline, overflow: length > kept, length });
    parts = [];
    kept = 0;
    length = 0;
  };

  return {
    push(chunk) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl === -1) break;
        if (nl > start) keep(chunk.subarray(start, nl));
        emit(true);
        start = nl + 1;
      }
      if (start < chunk.length) keep(chunk.subarray(start));
    },
    end() {
      if (length > 0) emit(false);
    },
  };
}

/** Decode a whole line as UTF-8, dropping one trailing `\r` (CRLF streams). Pure. */
export function decodeLine(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}
