import t from 'tap';
import { collectSecrets, createStreamRedactor, matchesNameGlob, redactText } from '../../engine/workers/redact.js';
import { createLineSplitter, decodeLine } from '../../engine/workers/split-lines.js';

t.test('name globs select which env values are secrets', async (t) => {
  t.ok(matchesNameGlob('OPENAI_API_KEY', '*_KEY'));
  t.ok(matchesNameGlob('db_password', '*PASSWORD*'));
  t.notOk(matchesNameGlob('KEYBOARD', '*_KEY'));
  const s = collectSecrets(['*_KEY', '*_TOKEN'], [{ A_KEY: 'abcdefgh', B_TOKEN: 'short', PATH: '/usr/bin' }, { C_KEY: 'abcdefghijkl' }]);
  t.same(s.map((x) => x.name), ['C_KEY', 'A_KEY'], 'longest first; values under 6 chars are not secrets');
});

t.test('a variable named as a credential by the built-in names, or holding one, is a secret whatever the policy\'s globs', async (t) => {
  const env = {
    AWS_ACCESS_KEY_ID: 'not-key-shaped-id',
    GITHUB_PAT: 'personal-token-value',
    npm_config__auth: 'dXNlcjpwYXNzd29yZA==',
    SENTRY_DSN: 'https://abcdef@o1.ingest.sentry.io/1',
    DATABASE_URL: 'postgres://app:db-pw-7@db:5432/app',
    HOOK: 'https://hooks.slack.com/services/T01/B02/abcdefghijklmnop',
    SIGNING: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n-----END OPENSSH PRIVATE KEY-----',
    NOTE: 'use Bearer abcdef0123456789ghij for the api',
    SITE_URL: 'https://example.com:8443/path?a=b@c',
    SSH_URL: 'ssh://git@github.com:22/o/r.git',
    KEYBOARD: 'us-international',
    // A hostile probe's verification read these three: a CI job's JWT (its parts too short for
    // the JWT shape), another, and a private key by a shorter name.
    CI_JOB_JWT: 'eyJhbGciOi.eyJzdWIi.c2ln',
    jwt: 'eyJ0eXAi.eyJpc3Mi.sig0',
    SIGNING_PRIVKEY: 'a2V5LWJ5dGVzLWhlcmU=',
  };
  const names = collectSecrets(['*_TOKEN'], [env]).map((x) => x.name).sort();
  t.same(names, ['AWS_ACCESS_KEY_ID', 'CI_JOB_JWT', 'DATABASE_URL', 'GITHUB_PAT', 'HOOK', 'NOTE', 'SENTRY_DSN', 'SIGNING', 'SIGNING_PRIVKEY', 'jwt', 'npm_config__auth']);
  t.equal(redactText('posted to https://hooks.slack.com/services/T01/B02/abcdefghijklmnop today', []), 'posted to https://[REDACTED:slack-webhook] today', 'a webhook URL is masked in any text');
});

t.test('streaming redaction finds secrets split at every possible chunk boundary', async (t) => {
  const secrets = collectSecrets(['*_KEY'], [{ OPENAI_API_KEY: 'sk-secret-123', OTHER_KEY: 'sk-secret-123-longer' }]);
  const input = Buffer.from('a sk-secret-123 b sk-secret-123-longer c sk-secre');
  const want = redactText(input.toString(), secrets);
  t.equal(want, 'a [REDACTED:OPENAI_API_KEY] b [REDACTED:OTHER_KEY] c sk-secre');
  for (let cut = 1; cut < input.length; cut++) {
    const r = createStreamRedactor(secrets);
    const out = Buffer.concat([r.push(input.subarray(0, cut)), r.push(input.subarray(cut)), r.flush()]).toString();
    if (out !== want) t.fail(`cut at ${cut}: ${out}`);
  }
  const r = createStreamRedactor(secrets);
  const bytewise = Buffer.concat([...input].map((b) => r.push(Buffer.from([b]))).concat(r.flush())).toString();
  t.equal(bytewise, want, 'byte by byte');
  const quiet = createStreamRedactor(secrets);
  t.equal(quiet.push(Buffer.from('{"type":"turn.completed"}\n')).toString(), '{"type":"turn.completed"}\n', 'nothing is held back without a possible secret start');
});

t.test('line splitter: LF only, CRLF stripped once, final line, U+2028 kept, overflow', async (t) => {
  const lines: { text: string; newline: boolean; overflow: boolean; length: number }[] = [];
  const s = createLineSplitter((l) => lines.push({ text: decodeLine(l.bytes), newline: l.newline, overflow: l.overflow, length: l.length }), 8);
  const input = Buffer.from('a\r\r\nb\u2028c\n\n0123456789abc\nlast');
  for (const b of input) s.push(Buffer.from([b]));
  s.end();
  t.same(lines.map((l) => l.text), ['a\r', 'b\u2028c', '', '01234567', 'last']);
  t.same(lines.map((l) => l.newline), [true, true, true, true, false]);
  t.same(lines.map((l) => l.overflow), [false, false, false, true, false]);
  t.equal(lines[3]!.length, 13);
});
