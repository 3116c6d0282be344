export interface Tail {
  push(chunk: Buffer): void;
  /** The kept bytes as text, starting at a character boundary. */
  text(): string;
}

/**
 * Keeps the last `limit` bytes of a stream in memory, whatever its length. Pure (state only
 * in the returned object).
 */
export function createTail(limit: number): Tail {
  let chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit * 2) {
        const joined = Buffer.concat(chunks);
        chunks = [joined.subarray(joined.length - limit)];
        size = limit;
      }
    },
    text() {
      let buf = Buffer.concat(chunks);
      if (buf.length > limit) buf = buf.subarray(buf.length - limit);
      // Skip UTF-8 continuation bytes so the tail does not start mid-character.
      let start = 0;
      while (start < buf.length && start < 4 && (buf[start]! & 0xc0) === 0x80) start++;
      return buf.subarray(start).toString('utf8');
    },
  };
}
