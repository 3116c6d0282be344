import type { Command } from '../command.js';
import { flag, str } from '../command.js';
import { EXIT } from '../exit-codes.js';

/** `engine init`: a repo's .engine/pipeline.yaml and .engine/policy.yaml, wired to the shipped schemas. */
export const initCommand: Command = {
  name: 'init',
  summary: 'Write .engine/pipeline.yaml and .engine/policy.yaml into a repo',
  usage: 'init [--repo DIR] [--force]',
  options: { repo: { type: 'string' }, force: { type: 'boolean' } },
  optionHelp: {
    repo: 'the repo to set up (default: the current directory)',
    force: 'overwrite .engine/pipeline.yaml and .engine/policy.yaml when they exist',
  },
  allowPositionals: false,
  async run(args, io) {
    const { initRepo } = await import('../../config/init-repo.js');
    const result = await initRepo({ repo: str(args, 'repo') ?? '.', cwd: io.cwd, force: flag(args, 'force') });
    for (const d of result.diagnostics) io.stderr(`engine init: error ${d.code} ${d.message}\n`);
    if (result.diagnostics.length > 0) return EXIT.invalid;
    for (const line of result.done) io.stdout(`${line}\n`);
    io.stdout('next: engine validate .engine/pipeline.yaml .engine/policy.yaml && engine policy --explain\n');
    return EXIT.ok;
  },
};
