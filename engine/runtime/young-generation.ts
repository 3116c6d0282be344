import v8 from 'node:v8';

/**
 * Keeps V8's young generation at the size it starts with (two 1 MiB semi-spaces) for the rest
 * of the process. A run allocates mostly what one step uses and drops; by default V8 doubles
 * the young generation up to 2 × 16 MiB under such a load, and that is resident memory the
 * run never needs: at 40 milestones the engine's peak RSS was 107 MiB with it and 79 MiB
 * without, its CPU the same (bench/milestone.bench.mjs). Growth factor 1 is read each time V8
 * would grow the space, so setting it after start-up works; the maximum size is not. Impure
 * (a V8 flag for the whole process).
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
