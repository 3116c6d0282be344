/** Running a verification tier's commands. */
export { runVerification } from './run-verification.js';
export type { RunVerificationOptions, VerificationResult, CommandResult, VerifyTier } from './run-verification.js';
export { createTail } from './output-tail.js';
export { createCappedOutput } from './capped-output.js';
export type { Tail } from './output-tail.js';
