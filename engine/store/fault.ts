/**
 * The fault-injection hook for crash tests: `ENGINE_FAULT=kill@<event-type>#<n>` makes the
 * engine SIGKILL itself right after the n-th event of that type is durably in the timeline
 * (counted in this process), so crash tests are exact rather than timed. Several faults may
 * be given separated by commas. Read once per timeline writer.
 */
export interface Fault {
  type: string;
  n: number;
}

/** Parse ENGINE_FAULT. Pure. */
export function parseFaults(text: string | undefined): Fault[] {
  if (!text) return [];
  return text
    .split(',')
    .map((s) => /^kill@([a-z_.]+)#(\d+)$/.exec(s.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ type: m[1]!, n: Number(m[2]) }));
}

/** Counts events by type and kills the process when a fault matches. Impure (kills). */
export function createFaultHook(faults: Fault[]): (type: string) => void {
  if (!faults.length) return () => {};
  const counts = new Map<string, number>();
  return (type) => {
    const n = (counts.get(type) ?? 0) + 1;
    counts.set(type, n);
    if (faults.some((f) => f.type === type && f.n === n)) process.kill(process.pid, 'SIGKILL');
  };
}

/**
 * A named fault point outside the timeline (`ENGINE_FAULT=kill@run.creating#1`): kills the
 * process when ENGINE_FAULT names it. Each point is reached once per process. Impure.
 */
export function faultPoint(name: string): void {
  createFaultHook(parseFaults(process.env.ENGINE_FAULT))(name);
}
