/**
 * The OS sandbox: is it active for runs with this policy on this machine? Pure (the status
 * comes from decideSandbox and the probe).
 */
import { describeSandbox, sandboxRecord, type SandboxStatus } from '../sandbox/sandbox-status.js';
import { finding, type Finding } from './types.js';

export function checkSandbox(s: SandboxStatus): Finding {
  const line = describeSandbox(sandboxRecord(s));
  if (s.active) return finding('sandbox', 'ok', `sandbox active: ${line}`);
  if (s.blocked) return finding('sandbox', 'block', line, 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and make sure `bwrap` runs, or set sandbox.mode to auto or off');
  if (s.mode === 'off') return finding('sandbox', 'ok', `sandbox ${line}`);
  return finding('sandbox', 'warn', `sandbox not active: ${line}`, 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) for an OS sandbox, or set sandbox.mode: off to say you do not want one');
}
