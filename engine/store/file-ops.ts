import { fsyncSync } from 'node:fs';

/**
 * The calls a store writer makes on a file it holds open that can fail in ways no file system
 * can be made to fail at will (an fsync's EIO after the write it follows was taken whole). The
 * system's own in the engine (systemFileOps); a test hands in one that fails, to prove what the
 * writer does then. Nothing else is routed through it.
 */
export interface FileOps {
  fsync(fd: number): void;
}

/** The system's calls: what every writer uses unless a test gives it another. */
export const systemFileOps: FileOps = { fsync: fsyncSync };
