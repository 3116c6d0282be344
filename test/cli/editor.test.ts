import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { packageRoot } from '../../engine/paths.js';

interface LspDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
}

const settings = { yaml: { schemaStore: { enable: false }, validate: true, completion: true, hover: true, format: { enable: false } } };

/**
 * A real editor session: the pinned yaml-language-server, spoken to over LSP, opens the
 * pipeline `engine init` wrote. Its modeline alone must bring the shipped schema: an invalid
 * value is flagged at its range, and completion offers the schema's keys. No timing: the
 * test waits on messages, bounded by the test's own timeout.
 */
t.test('yaml-language-server validates and completes through the init modeline', { timeout: 120_000 }, async (t) => {
  // The engine installed in the project, as `npm i -D @engine/engine` leaves it.
  const repo = t.testdir({});
  mkdirSync(path.join(repo, 'node_modules', '@engine'), { recursive: true });
  symlinkSync(packageRoot, path.join(repo, 'node_modules', '@engine', 'engine'));
  t.equal(await main(['init', '--repo', repo], memoryIo()), 0);
  const file = path.join(repo, '.engine', 'pipeline.yaml');
  const original = readFileSync(file, 'utf8');
  t.match(original, /^# yaml-language-server: \$schema=\.\.\/node_modules\/@engine\/engine\/schemas\/pipeline\.schema\.json\n/);
  // An invalid tier, and an empty line inside the planner worker where completion is asked.
  const text = original.replace('tier: tier2', 'tier: tier9').replace('  planner:\n    use: claude\n', '  planner:\n    use: claude\n    \n');
  t.not(text, original);
  writeFileSync(file, text);
  const lines = text.split('\n');
  const badLine = lines.findIndex((l) => l.includes('tier: tier9'));
  const badChar = lines[badLine]!.indexOf('tier9');
  const emptyLine = lines.findIndex((l, i) => l === '    ' && lines[i - 1] === '    use: claude');

  // A second file, being written: places where a user asks for completion.
  const draftFile = path.join(repo, '.engine', 'draft.pipeline.yaml');
  const draft = original
    .replace('  reviewer:\n    use: claude\n', '  reviewer:\n    use: claude\n  extra:\n    use: \n')
    .replace('    phase: explore\n', '    phase: explore\n    \n')
    .replace('    tier: auto\n', '    tier: auto\n    \n')
    .replace('    when: explore_enabled\n', '    when: \n')
    .replace('    worker: implementer\n', '    worker: \n')
    .concat('\n  - id: added\n    type: \n');
  writeFileSync(draftFile, draft);
  const draftLines = draft.split('\n');
  const at = (find: (l: string, i: number) => boolean, character?: number) => {
    const line = draftLines.findIndex(find);
    t.ok(line >= 0, 'the completion spot exists');
    return { line, character: character ?? draftLines[line]!.length };
  };
  const spots = {
    use: at((l, i) => l === '    use: ' && draftLines[i - 1] === '  extra:'),
    type: at((l, i) => l === '    type: ' && draftLines[i - 1] === '  - id: added'),
    when: at((l) => l === '    when: '),
    worker: at((l) => l === '    worker: '),
    workerStep: at((l, i) => l === '    ' && draftLines[i - 1] === '    phase: explore'),
    verifyStep: at((l, i) => l === '    ' && draftLines[i - 1] === '    tier: auto'),
  };

  const server = spawn(path.join(packageRoot, 'node_modules/.bin/yaml-language-server'), ['--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const conn = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  t.teardown(() => {
    conn.dispose();
    server.kill();
  });
  const uri = pathToFileURL(file).href;
  const draftUri = pathToFileURL(draftFile).href;
  const published = new Promise<{ version?: number; diagnostics: LspDiagnostic[] }>((resolve) => {
    conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: LspDiagnostic[] }) => {
      if (p.uri === uri && (p.version === undefined || p.version === 1)) resolve(p);
    });
  });
  conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
    p.items.map((i) => (i.section === 'yaml' ? settings.yaml : i.section ? undefined : settings)),
  );
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.listen();

  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(repo).href,
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } },
      textDocument: { publishDiagnostics: { versionSupport: true }, completion: { completionItem: { snippetSupport: true } } },
    },
    initializationOptions: settings,
  });
  await conn.sendNotification('initialized', {});
  await conn.sendNotification('workspace/didChangeConfiguration', { settings });
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });

  const { diagnostics } = await published;
  const tierProblems = diagnostics.filter((d) => d.range.start.line === badLine);
  t.equal(tierProblems.length, 1, `one diagnostic on the tier line (server stderr: ${stderr.slice(0, 500)})`);
  t.same(tierProblems[0]?.range, { start: { line: badLine, character: badChar }, end: { line: badLine, character: badChar + 'tier9'.length } });
  t.match(tierProblems[0]?.message, /tier0/, 'the message names the allowed values');
  t.equal(diagnostics.length, 1, 'nothing else in the file is flagged');

  const complete = async (docUri: string, position: { line: number; character: number }) => {
    const completion = (await conn.sendRequest('textDocument/completion', { textDocument: { uri: docUri }, position })) as
      | { items: { label: string }[] }
      | { label: string }[];
    return (Array.isArray(completion) ? completion : completion.items).map((i) => i.label).sort();
  };
  const labels = await complete(uri, { line: emptyLine, character: 4 });
  for (const key of ['bin', 'args', 'env', 'model', 'model_endpoint', 'timeout_s']) t.ok(labels.includes(key), `completion offers ${key}`);
  t.notOk(labels.includes('use'), 'a key already present is not offered again');

  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: draftUri, languageId: 'yaml', version: 1, text: draft } });
  const offered = {
    use: await complete(draftUri, spots.use),
    type: await complete(draftUri, spots.type),
    when: await complete(draftUri, spots.when),
    worker: await complete(draftUri, spots.worker),
    workerStep: await complete(draftUri, spots.workerStep),
    verifyStep: await complete(draftUri, spots.verifyStep),
  };
  t.same(offered.use, ['claude', 'codex', 'command', 'replay'], '`use:` offers the built-in plugins');
  t.same(offered.type, ['advance', 'checkpoint', 'command', 'decide', 'verify', 'worker'], '`type:` offers the step types');
  t.same(offered.when, ['always', 'auto_approve', 'explore_enabled', 'greenfield', 'has_changes', 'incremental', 'never', 'no_changes'], '`when:` offers the guards');
  // JSON Schema cannot refer to the names declared under `workers:`; it offers the usual ones.
  t.same(offered.worker, ['implementer', 'planner', 'reviewer'], '`worker:` offers the usual worker names');
  t.same(offered.workerStep, ['on', 'read_only', 'template'], 'a worker step offers only the worker step keys it does not have yet');
  t.same(offered.verifyStep, ['description', 'next', 'when'], 'a verify step offers only the verify step keys it does not have yet');

  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
});
