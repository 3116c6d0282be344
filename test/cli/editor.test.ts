import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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
  const repo = t.testdir({});
  t.equal(await main(['init', '--repo', repo], memoryIo()), 0);
  const file = path.join(repo, '.engine', 'pipeline.yaml');
  const original = readFileSync(file, 'utf8');
  t.match(original, /^# yaml-language-server: \$schema=\.\.\/.*schemas\/pipeline\.schema\.json\n/);
  // An invalid tier, and an empty line inside the planner worker where completion is asked.
  const text = original.replace('tier: tier2', 'tier: tier9').replace('  planner:\n    use: claude\n', '  planner:\n    use: claude\n    \n');
  t.not(text, original);
  writeFileSync(file, text);
  const lines = text.split('\n');
  const badLine = lines.findIndex((l) => l.includes('tier: tier9'));
  const badChar = lines[badLine]!.indexOf('tier9');
  const emptyLine = lines.findIndex((l, i) => l === '    ' && lines[i - 1] === '    use: claude');

  const server = spawn(path.join(packageRoot, 'node_modules/.bin/yaml-language-server'), ['--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const conn = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  t.teardown(() => {
    conn.dispose();
    server.kill();
  });
  const uri = pathToFileURL(file).href;
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

  const completion = (await conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: emptyLine, character: 4 } })) as
    | { items: { label: string }[] }
    | { label: string }[];
  const labels = (Array.isArray(completion) ? completion : completion.items).map((i) => i.label);
  for (const key of ['bin', 'args', 'env', 'model', 'model_endpoint', 'timeout_s']) t.ok(labels.includes(key), `completion offers ${key}`);
  t.notOk(labels.includes('use'), 'a key already present is not offered again');

  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
});
