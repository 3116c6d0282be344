export { buildBwrapArgs, wrapInBwrap, type BwrapLayout } from './build-bwrap-args.js';
export { probeBwrap, type BwrapProbe } from './probe-bwrap.js';
export { decideSandbox, describeSandbox, sandboxRecord, type SandboxMode, type SandboxStatus } from './sandbox-status.js';
export { wrapCommand, type SandboxedCommand } from './wrap-command.js';
