import type { Command } from '../command.js';
import { flag, list, str, UsageError } from '../command.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import { printDiagnostics, printJson } from './validate.js';
import { sayAllHere } from '../../vocabulary/engine-command.js';
import { printable } from '../../util/printable.js';

/** `engine doctor`: is this machine, repo and pipeline ready for a run? */
export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check node, git, the repo, the pipeline, the policy and every worker CLI before a run',
  usage: 'doctor [<pipeline.yaml>] [--repo DIR] [--policy FILE]... [--set KEY=VALUE]... [--live] [--json]',
  options: { repo: { type: 'string' }, policy: { type: 'string', multiple: true }, set: { type: 'string', multiple: true }, live: { type: 'boolean' }, json: { type: 'boolean' } },
  optionHelp: {
    repo: 'the target repo (default: the repository the current directory is in); its .engine/pipeline.yaml is the default pipeline',
    policy: 'a policy file layered over the repo\'s, as `engine run --policy` takes it',
    set: 'override one policy key by its dotted path, as `engine run --set` takes it',
    live: 'also make one probe call per distinct worker and check that it answers with the markers block only',
    json: 'print one JSON document {verdict, exit_code, repo, pipeline, live, checks, workers, probe_dir} on stdout',
  },
  allowPositionals: true,
  async run(args, io) {
    const [pipelineFile, ...extra] = args.positionals;
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    // Its findings are printed, never recorded: their hints say how to start the engine from here.
    sayAllHere();
    const { runDoctor } = await import('../../doctor/run-doctor.js');
    const { doctorExitCode, doctorJson, renderDoctorText } = await import('../../doctor/verdict.js');
    const json = flag(args, 'json');
    const result = await runDoctor({ pipelineFile, repo: str(args, 'repo') ?? '.', policyFiles: list(args, 'policy'), sets: list(args, 'set'), live: flag(args, 'live'), cwd: io.cwd, env: io.env });
    if (result.kind === 'invalid') {
      if (json) printJson(io, { verdict: 'invalid', exit_code: EXIT.invalid, checks: [], diagnostics: result.diagnostics });
      else printDiagnostics(io, result.diagnostics);
      return EXIT.invalid;
    }
    if (json) printJson(io, doctorJson(result.report));
    // Paths of the repo and its files are in the text: shown safe for a terminal.
    else io.stdout(printable(renderDoctorText(result.report)));
    return doctorExitCode(result.report.checks, result.report.diagnostics);
  },
};
