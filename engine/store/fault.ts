/**
 * The fault-injection hook for crash tests: `ENGINE_FAULT=kill@<event-type>#<n>` makes the
 * engine SIGKILL itself right after the n-th event of that type is durably in the timeline
 * (counted in this process), so crash tests are exact rather than timed.
 * `throw@<point>#<n>` throws an error there instead: what any failure at that point does (a
 * bug, a refused file), for tests of how the engine ends then. Several faults may be given
 * separated by commas. Read once per timeline writer.
 */
export interface Fault {
  action: 'kill' | 'throw';
  type: string;
  n: number;
}

/** Parse ENGINE_FAULT. Pure. */
export function parseFaults(text: string | undefined): Fault[] {
  if (!text) return [];
  return text
    .split(',')
    .map((s) => /^(kill|throw)@([a-z_.]+)#(\d+)$/.exec(s.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ action: m[1] as Fault['action'], type: m[2]!, n: Number(m[3]) }));
}

/** Counts events by type and kills the process (or throws) when a fault matches. Impure (kills). */
export function createFaultHook(faults: Fault[]): (type: string) => void {
  if (!faults.length) return () => {};
  const counts = new Map<string, number>();
  return (type) => {
    const n = (counts.get(type) ?? 0) + 1;
    counts.set(type, n);
    strike(faults, type, n);
  };
}

/** How many times each named fault point was reached in this process. */
const reached = new Map<string, number>();

/**
 * A named fault point outside the timeline (`ENGINE_FAULT=kill@run.creating#1`,
 * `throw@worker.spawned#2`): kills the process (or throws) when ENGINE_FAULT names this
 * reach of it, counted in this process. Impure.
 */
export function faultPoint(name: string): void {
  const n = (reached.get(name) ?? 0) + 1;
  reached.set(name, n);
  strike(parseFaults(process.env.ENGINE_FAULT), name, n);
}

/** The n-th reach of `type`: what a fault naming it does. Impure (kills or throws). */
function strike(faults: readonly Fault[], type: string, n: number): void {
  const fault = faults.find((f) => f.type === type && f.n === n);
  if (fault?.action === 'kill') process.kill(process.pid, 'SIGKILL');
  if (fault?.action === 'throw') throw new Error(`injected fault ${fault.action}@${type}#${n} (ENGINE_FAULT)`);
}
