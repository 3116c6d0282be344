import path from 'node:path';

/** Whether a worker's `use` names a module file (`./my-worker.js`, `../x.js`, an absolute path) rather than a built-in worker. Pure. */
export function isModulePath(use: string): boolean {
  return use.startsWith('./') || use.startsWith('../') || path.isAbsolute(use);
}
