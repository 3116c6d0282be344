/**
 * The seccomp program bubblewrap installs in every sandboxed process (`--seccomp FD`).
 *
 * - **No kernel keyring**, always: `add_key`, `request_key` and `keyctl` fail with EPERM. The
 *   keyrings are the kernel's, not the filesystem's: bubblewrap's namespaces leave the user's
 *   and session keyrings shared with the host, where a hostile worker read a secret kept there
 *   (Kerberos tickets, fscrypt and ecryptfs keys, secret stores live there) and left keys of
 *   its own that outlived the run; `request_key` can start `/sbin/request-key` helpers outside
 *   every namespace. No CLI the engine drives needs a keyring.
 * - **No Unix domain socket**, unless `sandbox.allow_unix_sockets: true`. The read-only view of
 *   the filesystem shows the sockets of services that act for the user outside any sandbox (an
 *   ssh ControlMaster in ~/.ssh, gpg-agent, a Docker or LXD socket), and a read-only mount does
 *   not stop a connect(): /run and /tmp are hidden, but a socket can be anywhere. So
 *   `socket(AF_UNIX, …)` fails with EPERM; `socketpair` stays (a process's own pipes to its
 *   children), as do sockets of every other family (the network is not restricted). io_uring
 *   is refused with it: its IORING_OP_SOCKET makes a socket without the socket() call.
 *
 * Programs for x86-64 (with its i386 and x32 calls, which have socket calls of their own)
 * and arm64 (with arm's); none elsewhere. Classic BPF as the kernel takes it (struct
 * sock_filter: u16 code, u8 jt, u8 jf, u32 k, little-endian on both). Pure.
 */

const LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const RET_K = 0x06; // BPF_RET | BPF_K

const RET_ALLOW = 0x7fff0000;
const EPERM = 1;
const RET_EPERM = 0x00050000 | EPERM; // SECCOMP_RET_ERRNO
const AF_UNIX = 1;

/** Offsets in struct seccomp_data. */
const NR = 0;
const ARCH = 4;
const ARG0_LOW = 16;

interface ArchCalls {
  audit: number;
  /** Calls whose first argument is the socket family. */
  socket: number[];
  /** Refused with the Unix socket block, whatever their arguments (i386's socketcall: its arguments are behind a pointer; io_uring_setup). */
  refused: number[];
  /** Always refused: the keyring calls add_key, request_key, keyctl. */
  keyring: number[];
}

const X32 = 0x40000000;

/** The calls of each architecture a process of that machine can make. */
const MACHINES: Record<string, ArchCalls[]> = {
  x64: [
    // x86-64 and its x32 calls (the same audit arch, numbers with bit 30 set): socket 41,
    // io_uring_setup 425, add_key 248, request_key 249, keyctl 250.
    { audit: 0xc000003e, socket: [41, X32 + 41], refused: [425, X32 + 425], keyring: [248, 249, 250, X32 + 248, X32 + 249, X32 + 250] },
    // i386: socketcall 102, socket 359, io_uring_setup 425; add_key 286, request_key 287, keyctl 288.
    { audit: 0x40000003, socket: [359], refused: [102, 425], keyring: [286, 287, 288] },
  ],
  arm64: [
    // arm64: socket 198, io_uring_setup 425, add_key 217, request_key 218, keyctl 219.
    { audit: 0xc00000b7, socket: [198], refused: [425], keyring: [217, 218, 219] },
    // arm (32-bit): socket 281, io_uring_setup 425, add_key 309, request_key 310, keyctl 311.
    { audit: 0x40000028, socket: [281], refused: [425], keyring: [309, 310, 311] },
  ],
};

type Insn = [code: number, jt: number, jf: number, k: number];

/** Jump targets inside a machine's block, resolved when the program is laid out. */
const TO_FAMILY = -1;
const TO_DENY = -2;
const TO_NEXT = -3;

/**
 * The program for the machine `arch` (`process.arch`), Unix sockets allowed or not, or null
 * where none is known (the sandbox then runs without it and says so). Laid out as: load the audit arch; one jump per
 * known arch to its block; allow (a call of an arch the machine does not run); the blocks;
 * the family check; allow; deny. Pure.
 */
export function sandboxFilter(arch: string, o: { unixSockets: boolean }): Buffer | null {
  const key = `${arch}\0${o.unixSockets}`;
  if (!programs.has(key)) programs.set(key, buildProgram(arch, o.unixSockets));
  return programs.get(key)!;
}

/** Made once per machine and setting: every sandboxed start hands the same bytes on. */
const programs = new Map<string, Buffer | null>();

function buildProgram(arch: string, unixSockets: boolean): Buffer | null {
  const machines = MACHINES[arch];
  if (!machines) return null;
  const blocks = machines.map((m) => archBlock(m, unixSockets));
  const starts: number[] = [];
  let at = 1 + machines.length + 1;
  for (const b of blocks) {
    starts.push(at);
    at += b.length;
  }
  const familyAt = at;
  const allowAt = familyAt + 2;
  const denyAt = allowAt + 1;
  const program: Insn[] = [[LD_W_ABS, 0, 0, ARCH]];
  machines.forEach((m, i) => program.push([JEQ_K, starts[i]! - program.length - 1, 0, m.audit]));
  program.push([RET_K, 0, 0, RET_ALLOW]);
  const jump = (target: number, here: number): number => {
    if (target >= 0) return target;
    const to = target === TO_FAMILY ? familyAt : target === TO_DENY ? denyAt : here + 1;
    const rel = to - here - 1;
    if (rel < 0 || rel > 255) throw new Error(`seccomp jump out of range: ${rel}`);
    return rel;
  };
  for (const b of blocks) for (const [code, jt, jf, k] of b) program.push([code, jump(jt, program.length), jump(jf, program.length), k]);
  // The family check: args[0] (its low word) is AF_UNIX → deny (skip the allow), else allow.
  program.push([LD_W_ABS, 0, 0, ARG0_LOW], [JEQ_K, 1, 0, AF_UNIX], [RET_K, 0, 0, RET_ALLOW], [RET_K, 0, 0, RET_EPERM]);
  return encode(program);
}

/**
 * One machine's checks: load the call number; a keyring call → deny; unless Unix sockets are
 * allowed, a socket call → the family check and a refused call → deny; else allow.
 */
function archBlock(m: ArchCalls, unixSockets: boolean): Insn[] {
  const out: Insn[] = [[LD_W_ABS, 0, 0, NR]];
  for (const nr of m.keyring) out.push([JEQ_K, TO_DENY, TO_NEXT, nr]);
  if (!unixSockets) {
    for (const nr of m.socket) out.push([JEQ_K, TO_FAMILY, TO_NEXT, nr]);
    for (const nr of m.refused) out.push([JEQ_K, TO_DENY, TO_NEXT, nr]);
  }
  out.push([RET_K, 0, 0, RET_ALLOW]);
  return out;
}

function encode(program: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    buf.writeUInt16LE(code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    buf.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buf;
}
