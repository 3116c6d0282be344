import path from 'node:path';
import type { Command } from '../command.js';
import { flag, str, UsageError } from '../command.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import { repoTopOf } from '../../util/repo-top.js';
import { engineCommand } from '../../vocabulary/engine-command.js';
import { shellWord } from '../../util/shell-quote.js';
import { CONTROL_CHARACTER, printable } from '../../util/printable.js';

/** `engine init`: a repo's .engine/pipeline.yaml and .engine/policy.yaml, wired to the shipped schemas. */
export const initCommand: Command = {
  name: 'init',
  summary: 'Write .engine/pipeline.yaml, .engine/policy.yaml and .engine/.gitignore into a repo',
  usage: 'init [--repo DIR] [--force] [--schema-path PATH]',
  options: { repo: { type: 'string' }, force: { type: 'boolean' }, 'schema-path': { type: 'string' } },
  optionHelp: {
    repo: 'the directory to set up (default: the repository the current directory is in, at its top)',
    force: 'rewrite .engine/pipeline.yaml and .engine/policy.yaml when they exist',
    'schema-path':
      'where the modelines find the schemas: a directory (relative to .engine/, or a URL) or a template with {kind}. Default: the engine in the repo\'s node_modules, else this engine\'s own schemas',
  },
  allowPositionals: false,
  async run(args, io) {
    const { initRepo } = await import('../../config/init-repo.js');
    const schemaPath = str(args, 'schema-path');
    // It is written into a comment line of each file: a line break ended the comment and
    // what followed became YAML of the user's policy (`--schema-path $'x\nbudgets: …'`).
    if (schemaPath !== undefined && CONTROL_CHARACTER.test(schemaPath)) throw new UsageError(`--schema-path holds a control character (a line break?): it is written into a comment line of each file; got ${JSON.stringify(schemaPath)}`);
    const named = str(args, 'repo');
    const result = await initRepo({ repo: named ?? '.', repoNamed: named !== undefined, cwd: io.cwd, force: flag(args, 'force'), ...(schemaPath !== undefined ? { schemaPath } : {}) });
    for (const line of result.done) io.stdout(printable(`${line}\n`));
    for (const d of result.diagnostics) io.stderr(printable(`engine init: error ${d.code} ${d.message}\n`));
    if (result.diagnostics.length > 0) return EXIT.invalid;
    for (const note of result.notes) io.stderr(printable(`note: ${note}\n`));
    const dir = path.relative(io.cwd, path.join(named !== undefined ? path.resolve(io.cwd, named) : repoTopOf(io.cwd), '.engine')) || '.engine';
    const repoFlag = str(args, 'repo') !== undefined ? ` --repo ${shellWord(str(args, 'repo')!)}` : '';
    io.stdout(printable(`next: ${engineCommand(`validate ${shellWord(`${dir}/pipeline.yaml`)} ${shellWord(`${dir}/policy.yaml`)}`)} && ${engineCommand(`policy${repoFlag} --explain`)}\n`));
    return EXIT.ok;
  },
};
