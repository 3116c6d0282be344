import path from 'node:path';
import type { Command } from '../command.js';
import { flag, list, repoOption } from '../command.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import { printDiagnostics, printJson } from './validate.js';
import { repoTopOf } from '../../util/repo-top.js';

/** `engine policy`: the effective policy after layering, optionally with where each value came from. */
export const policyCommand: Command = {
  name: 'policy',
  summary: 'Print the effective policy (defaults < ~/.config/engine < repo < --policy < --set)',
  usage: 'policy [--repo DIR] [--policy FILE]... [--set KEY=VALUE]... [--explain] [--json]',
  options: {
    repo: { type: 'string' },
    policy: { type: 'string', multiple: true },
    set: { type: 'string', multiple: true },
    explain: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    repo: 'the target repo whose .engine/policy.yaml is a layer (default: the repository the current directory is in)',
    policy: 'a policy file layered over the repo\'s, in the order given',
    set: 'override one policy key by its dotted path; VALUE is YAML (--set budgets.max_ticks=40)',
    explain: 'print every effective value with the file:line:col or --set it came from',
    json: 'print one JSON document {policy, hash, layers, provenance, diagnostics} on stdout',
  },
  allowPositionals: false,
  async run(args, io) {
    const [{ resolvePolicy }, { explainPolicy, renderExplain }] = await Promise.all([
      import('../../config/policy/resolve-policy.js'),
      import('../../config/policy/explain-policy.js'),
    ]);
    const repo = repoTopOf(repoOption(args, io.cwd) ?? io.cwd);
    const result = await resolvePolicy({ repo, files: list(args, 'policy'), sets: list(args, 'set'), cwd: io.cwd, env: io.env });
    const ok = result.policy !== null;
    if (flag(args, 'json')) {
      const provenance = Object.fromEntries(result.provenance);
      printJson(io, { policy: result.policy, hash: result.hash || null, layers: result.layers, provenance, diagnostics: result.diagnostics });
      return ok ? EXIT.ok : EXIT.invalid;
    }
    printDiagnostics(io, result.diagnostics);
    if (!result.policy) return EXIT.invalid;
    const policy = result.policy as unknown as Record<string, unknown>;
    if (flag(args, 'explain')) {
      io.stdout(renderExplain(explainPolicy(policy, result.provenance)));
      return EXIT.ok;
    }
    const { stringify } = await import('yaml');
    const layers = result.layers.map((l) => (l.source === 'default' ? 'built-in defaults' : l.source === 'user' ? `${l.file} (user)` : l.file ? path.normalize(l.file) : l.source));
    io.stdout(`# effective policy ${result.hash}\n# layers: ${[...new Set(layers)].join(' < ')}\n${stringify(policy, { lineWidth: 0 })}`);
    return EXIT.ok;
  },
};
