/** Exit codes of every command (contract §2). Pure constants. */
export const EXIT = {
  ok: 0,
  stopped: 1,
  invalid: 2,
  governance: 3,
  doctor: 4,
  internal: 70,
  /** The machine failed the engine (a full disk, no processes or memory left): sysexits' EX_OSERR. Not in the contract (docs/errors.md). */
  machine: 71,
  /** The system refused the engine a file or folder it needs (owner, mode, attributes): sysexits' EX_NOPERM. Not in the contract (docs/errors.md). */
  permission: 77,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
