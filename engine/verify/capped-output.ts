import { createTail } from './output-tail.js';

/** The most of a command's closing output the log keeps once its cap is reached. */
const LAST_BYTES = 64 * 1024;

export interface CappedOutput {
  push(chunk: Buffer): void;
  /** Closes the output: when some was not kept, a line saying how much, then the last of it. */
  end(): void;
}

/**
 * A command's output on its way to a log: written whole up to `cap` bytes, then only counted,
 * its last bytes kept to close the log with. A worker can rewrite what a verification or
 * command step runs, and make it print without end into the run store (inside the user's
 * checkout) until the step's time limit. Pure but for `write`.
 */
export function createCappedOutput(write: (chunk: Buffer) => void, cap: number): CappedOutput {
  let written = 0;
  let dropped = 0;
  const last = createTail(LAST_BYTES);
  return {
    push(chunk) {
      const kept = written < cap ? chunk.subarray(0, cap - written) : chunk.subarray(0, 0);
      if (kept.length) {
        write(kept);
        written += kept.length;
      }
      if (kept.length < chunk.length) {
        const rest = chunk.subarray(kept.length);
        dropped += rest.length;
        last.push(rest);
      }
    },
    end() {
      if (dropped === 0) return;
      write(Buffer.from(`\n# engine: ${dropped} bytes of output not kept (a command's log keeps ${cap} bytes); the last of them:\n`));
      write(Buffer.from(last.text()));
    },
  };
}
