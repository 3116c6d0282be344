import t, { type Test } from 'tap';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashBody, normalizeBody, renormalize } from '../../engine/record/normalize-request.js';
import { startReplayServer } from '../../engine/record/start-replay-server.js';
import { startRecordProxy } from '../../engine/record/start-record-proxy.js';
import { loadRecording, MAX_RECORDING_BYTES, RecordingError } from '../../engine/record/load-recording.js';
import type { RecordedExchange } from '../../engine/record/types.js';

// What a worker sends to the model (or whatever it runs does: loopback is reachable) and what
// a recording holds are hostile input. A request nested 100,000 levels deep overflowed the
// stack of the recursive normaliser inside the server's handler, and a recorded status of
// 1000 threw from writeHead: either crashed the engine (exit 1, the run left `running`).

const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;

function post(origin: string, pathname: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'claude-cli/2.1.197' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function exchange(over: Partial<RecordedExchange['response']> = {}): RecordedExchange {
  return {
    type: 'exchange',
    seq: 1,
    worker: null,
    key: 'housekeeping claude POST /x',
    index: 0,
    request: { method: 'POST', path: '/x', headers: {}, body_sha256: '', body: null },
    response: { status: 200, headers: {}, body: 'ok', ...over },
  } as RecordedExchange;
}

t.test('a body nested deeper than the normaliser goes is compared as text, never a stack overflow', async (t) => {
  t.type(normalizeBody(deep, []), 'string');
  const nested: unknown[] = [];
  let at = nested;
  for (let i = 0; i < 100_000; i++) at.push((at = []));
  t.type(renormalize(nested), 'string', 'a recorded body as deep: text too');
  t.same(normalizeBody('{"a":[1,{"b":2}]}', []), { a: [1, { b: 2 }] }, 'an ordinary body as before');
});

t.test('replay: a deep request is a mismatch answered with an error; the server lives on', async (t) => {
  const server = await startReplayServer({ exchanges: [exchange()], substitutions: [] });
  t.teardown(() => server.close());
  const r = await post(server.origin, '/x', deep);
  t.equal(r.status, 400);
  t.equal(server.mismatches.length, 1);
  const again = await post(server.origin, '/x', '');
  t.equal(again.status, 400, 'and answers the next request');
});

t.test('replay: a recorded response node cannot send is answered 502 with why, not a crash', async (t) => {
  const server = await startReplayServer({ exchanges: [exchange({ status: 1000 })], substitutions: [] });
  t.teardown(() => server.close());
  const r = await post(server.origin, '/x', '');
  t.equal(r.status, 502);
  t.match(r.body, /the recorded response cannot be sent/);
});

t.test('a recording whose response has a status outside 100-599 or a header with a line break is refused as it is loaded', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const header = JSON.stringify({ type: 'recording', schema_version: 1, engine_version: '0.1.0', run_id: 'x', upstream: 'http://127.0.0.1:1', placeholders: [] });
  const file = path.join(dir, 'rec.jsonl');
  writeFileSync(file, `${header}\n${JSON.stringify(exchange({ status: 1000 }))}\n`);
  t.throws(() => loadRecording(file), RecordingError);
  t.throws(() => loadRecording(file), { message: /rec\.jsonl:2: .*status/ });
  writeFileSync(file, `${header}\n${JSON.stringify(exchange({ headers: { 'x-a': 'b\r\nSet-Cookie: c' } }))}\n`);
  t.throws(() => loadRecording(file), { message: /rec\.jsonl:2: .*header/ });
});

t.test('a FIFO given as the recording is refused at once, not waited on', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'rec.fifo');
  execFileSync('mkfifo', [fifo]);
  t.throws(() => loadRecording(fifo), { message: /rec\.fifo is not a regular file/ });
});

// A hostile review: a 600 MB recording was read whole (1.1 GB resident), then said to be no
// regular file; a request body edited by hand was served without a word, its body_sha256 unread.
t.test('a recording past its size is refused unread; one whose request body was changed is refused', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const big = path.join(dir, 'big.jsonl');
  writeFileSync(big, '');
  truncateSync(big, MAX_RECORDING_BYTES + 1);
  const before = process.memoryUsage().rss;
  t.throws(() => loadRecording(big), { message: new RegExp(`big\\.jsonl is ${MAX_RECORDING_BYTES + 1} bytes, more than the 256 MiB a recording may be`) });
  t.ok(process.memoryUsage().rss - before < 64 * 2 ** 20, 'not read into memory');
  const header = JSON.stringify({ type: 'recording', schema_version: 1, engine_version: '0.1.0', run_id: 'x', upstream: 'http://127.0.0.1:1', placeholders: [] });
  const file = path.join(dir, 'rec.jsonl');
  const body = { model: 'm', messages: [{ role: 'user', content: 'hello' }] };
  const made = { ...exchange(), request: { method: 'POST', path: '/x', headers: {}, body_sha256: hashBody(body), body } };
  writeFileSync(file, `${header}\n${JSON.stringify(made)}\n`);
  t.equal(loadRecording(file).exchanges.length, 1, 'as the run made it: read');
  writeFileSync(file, `${header}\n${JSON.stringify({ ...made, request: { ...made.request, body: { ...body, messages: [{ role: 'user', content: 'edited' }] } } })}\n`);
  t.throws(() => loadRecording(file), { message: /rec\.jsonl:2: the request's body does not match its body_sha256/ });
});

/** A record proxy in front of `upstream` (listening on loopback), both closed at the test's end. */
async function proxyTo(t: Test, upstream: http.Server): Promise<Awaited<ReturnType<typeof startRecordProxy>>> {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = (upstream.address() as { port: number }).port;
  const proxy = await startRecordProxy({ upstream: `http://127.0.0.1:${port}`, file: path.join(dir, 'rec.jsonl'), runId: 'r', substitutions: [], secrets: [], workerOfStep: () => null });
  t.teardown(() => proxy.close());
  return proxy;
}

t.test('record: a deep request is passed on and recorded as text; the proxy lives on', async (t) => {
  const upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  const proxy = await proxyTo(t, upstream);
  const r = await post(proxy.origin, '/x', deep);
  t.equal(r.status, 200);
  t.equal(proxy.count(), 1, 'recorded');
  t.equal((await post(proxy.origin, '/x', '{}')).status, 200, 'and the next request too');
});

// The upstream is a remote API: a connection that drops mid-response is an everyday event,
// and a worker killed on its time limit drops its own connection mid-request or mid-response.
// The proxy kept the worker's connection open for ever after the upstream dropped its own:
// the CLI waited (no retry) until a time limit ended the call.
t.test('record: an upstream that drops mid-response, or a client that drops mid-request, fails that call only; the proxy lives on', { timeout: 10_000 }, async (t) => {
  let drop = true;
  const upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (!drop) return void res.end('{"ok":true}');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message_start\ndata: {}\n\n');
      setTimeout(() => res.socket?.destroy(), 20);
    });
  });
  const proxy = await proxyTo(t, upstream);
  const cut = await new Promise<string>((resolve) => {
    const req = http.request(`${proxy.origin}/x`, { method: 'POST' }, (res) => {
      res.resume();
      res.on('end', () => resolve(`whole (${res.statusCode})`));
      res.on('error', (e) => resolve(`cut short (${e.message})`));
    });
    req.on('error', (e) => resolve(`cut short (${e.message})`));
    req.end('{}');
  });
  t.match(cut, /^cut short/, 'the worker sees its response cut short, as the upstream cut it');
  t.equal(proxy.count(), 0, 'a response cut short is not recorded');

  // A client that sends half a request body and goes.
  await new Promise<void>((resolve) => {
    const req = http.request(`${proxy.origin}/x`, { method: 'POST', headers: { 'content-length': '1000' } });
    req.on('error', () => resolve());
    req.write('{"half":');
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 20);
  });
  drop = false;
  await new Promise((r) => setTimeout(r, 50));
  const next = await post(proxy.origin, '/x', '{}');
  t.equal(next.status, 200, 'the next request is served');
  t.equal(proxy.count(), 1, 'and recorded');
});

// A hostile probe's worker streamed 600 MiB to the scripted model: the engine died making one
// string of it (an uncaught error, the run left `running`). Every loopback server of the
// engine reads a body up to MAX_REQUEST_BYTES, answers 413 past it, and lives on.
t.test('a body past the limit is answered 413 by the scripted model and the replay server (the record proxy is served alike); each lives on', async (t) => {
  const { MAX_REQUEST_BYTES, serveWholeRequests } = await import('../../engine/stub/serve-whole-requests.js');
  const { startStubModel } = await import('../../engine/stub/start-stub-model.js');
  const { listenLocal } = await import('../../engine/stub/listen-local.js');
  t.equal(MAX_REQUEST_BYTES, 64 * 2 ** 20);
  // Streamed in 1 MiB pieces, as a chunked request: never whole in this process either.
  const stream = (origin: string, mib: number): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${origin}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      const piece = Buffer.alloc(2 ** 20, 0x20);
      let sent = 0;
      const more = (): void => {
        while (sent < mib) {
          sent++;
          if (!req.write(piece)) return void req.once('drain', more);
        }
        req.end();
      };
      more();
    });
  const small = serveWholeRequests('a test server', (_req, res, body) => res.end(String(body.length)), 4 * 2 ** 20);
  const local = await listenLocal(small, {});
  t.teardown(() => local.close());
  const over = await stream(local.origin, 5);
  t.equal(over.status, 413);
  t.match(JSON.parse(over.body), { type: 'error', error: { type: 'request_too_large', message: 'a test server: the request body is over 4194304 bytes' } });
  t.same(await post(local.origin, '/x', 'x'.repeat(3 * 2 ** 20)), { status: 200, body: String(3 * 2 ** 20) }, 'one under the limit is whole; the server lives on');

  const scenario = path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-big-body-')), 's.scenario.yaml');
  writeFileSync(scenario, 'apiVersion: engine/v1\nkind: Scenario\nname: s\nreplies:\n  - phase: plan\n    turns:\n      - text: hello\n');
  const stub = await startStubModel({ scenarioFile: scenario });
  t.teardown(() => stub.close());
  t.equal((await stream(stub.origin, 65)).status, 413, 'the scripted model, past 64 MiB');
  const health = await new Promise<number>((resolve, reject) => http.get(`${stub.origin}/`, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject));
  t.equal(health, 200, 'and it answers the next request');
  const replay = await startReplayServer({ exchanges: [exchange()], substitutions: [] });
  t.teardown(() => replay.close());
  t.equal((await stream(replay.origin, 65)).status, 413, 'the replay server');
});

// The recorder never keeps a hop-by-hop header (content-length, transfer-encoding, …): the
// replay server fills placeholders, so the body it sends is of another length. A recording
// edited to hold `content-length: 100000` was served as it was, and the CLI waited for bytes
// that never came until the worker's idle timeout; a 1xx status is no final answer either.
t.test('a recording whose response has a hop-by-hop header or a 1xx status is refused as it is loaded', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const header = JSON.stringify({ type: 'recording', schema_version: 1, engine_version: '0.1.0', run_id: 'x', upstream: 'http://127.0.0.1:1', placeholders: [] });
  const file = path.join(dir, 'rec.jsonl');
  for (const headers of [{ 'Content-Length': '100000' }, { 'transfer-encoding': 'chunked' }, { connection: 'upgrade' }] as Record<string, string>[]) {
    writeFileSync(file, `${header}\n${JSON.stringify(exchange({ headers }))}\n`);
    t.throws(() => loadRecording(file), { message: /rec\.jsonl:2: .*header/ }, JSON.stringify(headers));
  }
  for (const status of [100, 101, 199]) {
    writeFileSync(file, `${header}\n${JSON.stringify(exchange({ status }))}\n`);
    t.throws(() => loadRecording(file), { message: /rec\.jsonl:2: .*status/ }, `status ${status}`);
  }
  writeFileSync(file, `${header}\n${JSON.stringify(exchange({ status: 200, headers: { 'content-type': 'text/event-stream' } }))}\n`);
  t.equal(loadRecording(file).exchanges.length, 1, 'a response as the recorder keeps it is read');
});
