import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engine } from '../helpers/run-fixture.js';

// Verification runs code a worker may have written (a test it planted): a hostile probe had
// such a test write `env` into the workspace and copied it onto the run branch at the next
// milestone, secrets and all. Its commands get the user's environment less the worker
// provider keys and every secret-named variable (transcripts.redact), unless
// verification.env_pass names them; the log says which names were left out.

const SECRET = 'hunter2-canary-7c1f';
const AWS = 'aws-canary-0b9e';

function runWithDump(passing: string[] = [], extraEnv: Record<string, string> = {}) {
  const f = makeFixture();
  const dump = path.join(f.dir, 'verify-env.txt');
  const set = ['--set', `verification.tiers.tier0.commands=${JSON.stringify([`env > '${dump}'`])}`, ...(passing.length ? ['--set', `verification.env_pass=${JSON.stringify(passing)}`] : [])];
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'envrun', '--no-progress', '--set', 'sandbox.mode=off', ...set], {
    cwd: f.dir,
    env: { MY_SECRET_TOKEN: SECRET, AWS_SECRET_ACCESS_KEY: AWS, PLAIN_SETTING: 'visible-setting', ...extraEnv },
  });
  const logDir = path.join(f.repo, '.engine', 'runs', 'envrun', 'verify');
  const log = existsSync(logDir) ? readdirSync(logDir).filter((n) => n.includes('tier0')).map((n) => readFileSync(path.join(logDir, n), 'utf8')).join('\n') : '';
  return { r, dump: existsSync(dump) ? readFileSync(dump, 'utf8') : null, log };
}

t.test('a verification command does not see the user\'s secret-named variables', async (t) => {
  const { r, dump, log } = runWithDump();
  t.equal(r.code, 0, r.stderr);
  t.ok(dump, 'the verification command ran');
  t.notMatch(dump ?? '', SECRET, 'MY_SECRET_TOKEN is not in its environment');
  t.notMatch(dump ?? '', AWS, 'nor AWS_SECRET_ACCESS_KEY');
  t.match(dump ?? '', /^PLAIN_SETTING=visible-setting$/m, 'other variables are');
  t.match(dump ?? '', /^PATH=/m);
  t.match(log, /^# not in these commands' environment \(worker provider keys and variables that name or hold credentials; verification\.env_pass passes them\): .*\bAWS_SECRET_ACCESS_KEY\b.*\bMY_SECRET_TOKEN\b/m, 'the log names what was left out');
  t.notMatch(log, SECRET);
});

t.test('verification.env_pass gives a test the variable it needs', async (t) => {
  const { r, dump } = runWithDump(['MY_SECRET_TOKEN']);
  t.equal(r.code, 0, r.stderr);
  t.match(dump ?? '', new RegExp(`^MY_SECRET_TOKEN=${SECRET}$`, 'm'), 'passed on purpose');
  t.notMatch(dump ?? '', AWS, 'only what it names');
});

// A hostile probe's planted test dumped these from a run whose policy withheld only the
// default secret names (case-sensitively): credentials named otherwise, or in lower case, or
// held inside a URL. Each is withheld by its name (any case) or by the shape of its value.
const DISGUISED: Record<string, string> = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7CANARY1',
  DATABASE_URL: 'postgres://app:db-canary-pw-41@db.internal:5432/app',
  GITHUB_PAT: 'ghp_canary0123456789abcdefghijklmnopqrstu',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0CANARY/B0CANARY/canary0123456789abcdef',
  NPM_CONFIG__AUTH: 'bnBtLWNhbmFyeS11c2VyOm5wbS1wdw==',
  github_token: 'lowercase-token-canary-9d2',
  DEPLOY_CREDENTIALS: 'deploy-canary-credential-51',
  SENTRY_DSN: 'https://sentrykeycanary77@o1.ingest.sentry.io/1',
  // A second probe's dump: passwords, passphrases, vault sessions and keys named without an underscore.
  MYSQL_PWD: 'mysql-canary-pwd-61',
  SSHPASS: 'sshpass-canary-62',
  DB_PASS: 'db-pass-canary-63',
  BORG_PASSPHRASE: 'borg-canary-phrase-64',
  BW_SESSION: 'bw-session-canary-65',
  OP_SESSION_my: 'op-session-canary-66',
  TOKEN: 'bare-token-canary-67',
  APIKEY: 'apikey-canary-68',
  NGROK_AUTHTOKEN: 'ngrok-canary-69',
  AZURE_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=canary;AccountKey=azurecanary70==;EndpointSuffix=core.windows.net',
  STORE: 'DefaultEndpointsProtocol=https;AccountName=canary;AccountKey=azurecanary71==',
};

t.test('credentials named otherwise, in lower case or inside a URL are withheld too, and kept out of the log', async (t) => {
  const { r, dump, log } = runWithDump([], { ...DISGUISED, LOG_HINT: 'plain', CONNECT_URL: 'https://example.com/path?x=1', XDG_SESSION_TYPE: 'tty-plain', BYPASS_MODE: 'plain-bypass' });
  t.equal(r.code, 0, r.stderr);
  t.ok(dump, 'the verification command ran');
  for (const [name, value] of Object.entries(DISGUISED)) {
    t.notMatch(dump ?? '', value, `${name} is not in its environment`);
    t.match(log, new RegExp(`^# not in these commands' environment .*\\b${name}\\b`, 'm'), `the log names ${name}`);
  }
  t.match(dump ?? '', /^LOG_HINT=plain$/m, 'a plain variable is passed');
  t.match(dump ?? '', /^XDG_SESSION_TYPE=tty-plain$/m, 'a session that is no credential is passed');
  t.match(dump ?? '', /^BYPASS_MODE=plain-bypass$/m);
  t.match(dump ?? '', /^CONNECT_URL=https:\/\/example\.com\/path\?x=1$/m, 'so is a URL without credentials');
});

t.test('verification.env_pass still passes a disguised credential by its name', async (t) => {
  const { r, dump } = runWithDump(['DATABASE_URL'], DISGUISED);
  t.equal(r.code, 0, r.stderr);
  t.match(dump ?? '', /^DATABASE_URL=postgres:\/\/app:db-canary-pw-41@/m, 'passed on purpose');
  t.notMatch(dump ?? '', DISGUISED.GITHUB_PAT!, 'only what it names');
});
