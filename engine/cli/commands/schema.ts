import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import { printable } from '../../util/printable.js';

/** `engine schema <name>`: print a JSON Schema shipped with the engine (for editors and tools). */
export const schemaCommand: Command = {
  name: 'schema',
  summary: 'Print the JSON Schema of a file or record kind',
  usage: 'schema <pipeline|policy|task|scenario|markers/<phase>|state|event|model-recording>',
  options: {},
  allowPositionals: true,
  async run(args, io) {
    const { listSchemaNames, readSchemaText } = await import('../../config/schema-files.js');
    const names = await listSchemaNames();
    if (args.positionals.length !== 1) throw new UsageError(`name one schema: ${names.join(', ')}`);
    const name = args.positionals[0]!.replace(/\.schema\.json$/, '');
    const text = names.includes(name) ? await readSchemaText(name) : null;
    if (text === null) {
      io.stderr(printable(`engine schema: error E_USAGE unknown schema "${name}"; one of: ${names.join(', ')}\n`));
      return EXIT.invalid;
    }
    io.stdout(text.endsWith('\n') ? text : `${text}\n`);
    return EXIT.ok;
  },
};
