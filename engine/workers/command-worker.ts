/**
 * The `command` worker: any CLI. argv = bin + args, the prompt on stdin (default) or as the
 * last argument, stdout read as text, json or jsonl (see parse/command-output.ts). The call
 * is ok iff the process exits 0.
 */
import { defineBuiltinWorker } from './types.js';
import { createCommandParser } from './parse/command-output.js';

export const commandWorker = defineBuiltinWorker({
  name: 'command',
  contract: 1,
  summary: 'runs any CLI: bin and args, its stdout read as text, json or jsonl',
  dialects: { 'command-text': () => createCommandParser('text'), 'command-json': () => createCommandParser('json'), 'command-jsonl': () => createCommandParser('jsonl') },
  dialectFor: (spec) => `command-${spec.output ?? 'text'}`,
  async detectVersion() {
    // An arbitrary command may not know --version (or may do something else with it).
    return null;
  },
  resolveBin(spec) {
    if (!spec.bin) throw new Error('a command worker needs `bin` (the program to run)');
    return spec.bin;
  },
  invoke(ctx) {
    const viaArg = ctx.spec.prompt_via === 'arg';
    return {
      bin: this.resolveBin(ctx.spec, ctx.packageRoot),
      args: [...(ctx.spec.args ?? []), ...(viaArg ? [ctx.prompt] : [])],
      env: { ...ctx.baseEnv, ...(ctx.spec.env ?? {}) },
      cwd: ctx.cwd,
      stdin: viaArg ? 'closed' : 'prompt',
    };
  },
  createParser(ctx) {
    return createCommandParser(ctx.spec.output ?? 'text');
  },
});
