import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { scripts } from '../support/paths.js';
import { Sandbox } from '../support/sandbox.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const PASSWORD = 'pa$$ word "with" spaces';
const CREDENTIALS = { DOCKER_USERNAME: 'globouser', DOCKER_PASSWORD: PASSWORD };

/** Fake git + docker; `docker` behaviour can fail one sub-command via $FAIL. */
function sandbox(t: TestContext, fail = ''): Sandbox {
  const box = new Sandbox(t);
  box.fake('git', `[[ "$*" == "rev-parse HEAD" ]] && echo ${SHA}`);
  box.fake(
    'docker',
    `[[ "$1" == login ]] && cat >"$FAKE_DIR/login.stdin"
     [[ "$1 $2" == "${fail}" || "$1" == "${fail}" ]] && { echo "docker: $1 failed" >&2; exit 1; }
     exit 0`,
  );
  return box;
}

test('when the credentials are set, it logs in via stdin, pushes the commit tag and latest, and prints both', async (t) => {
  const box = sandbox(t);
  const result = await box.run(scripts.push, CREDENTIALS);
  assert.equal(result.code, 0, result.stderr);
  const repo = 'docker.io/globouser/globomantics-crm';
  assert.deepEqual(box.commandLines(), [
    'git rev-parse HEAD',
    'docker image inspect globomantics-crm:local',
    'docker login --username globouser --password-stdin docker.io',
    `docker tag globomantics-crm:local ${repo}:${SHA}`,
    `docker push ${repo}:${SHA}`,
    `docker tag globomantics-crm:local ${repo}:latest`,
    `docker push ${repo}:latest`,
    'docker logout docker.io',
  ]);
  assert.equal(fs.readFileSync(path.join(box.dir, 'login.stdin'), 'utf8'), PASSWORD);
  assert.ok(box.calls().every((c) => !c.args.some((a) => a.includes(PASSWORD))), 'password leaked into argv');
  assert.ok(result.stdout.includes(`Pushed ${repo}:${SHA}\n`), result.stdout);
  assert.ok(result.stdout.includes(`Pushed ${repo}:latest\n`), result.stdout);
  assert.ok(!result.stdout.includes(PASSWORD) && !result.stderr.includes(PASSWORD));
});

for (const missing of ['DOCKER_USERNAME', 'DOCKER_PASSWORD'] as const) {
  test(`when ${missing} is missing, it exits non-zero, names the variable and never calls docker`, async (t) => {
    const box = sandbox(t);
    const env = Object.fromEntries(Object.entries(CREDENTIALS).filter(([name]) => name !== missing));
    const result = await box.run(scripts.push, env);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /missing required environment variable\(s\): /);
    assert.ok(result.stderr.includes(missing), result.stderr);
    assert.deepEqual(box.calls(), []);
  });
}

test('when REGISTRY, IMAGE, SOURCE_IMAGE and IMAGE_TAG are set, it pushes there (e.g. an unauthenticated local registry)', async (t) => {
  const box = sandbox(t);
  const result = await box.run(scripts.push, {
    REGISTRY: '127.0.0.1:5001', IMAGE: 'crm/web', SOURCE_IMAGE: 'crm:built', IMAGE_TAG: 'v1.2.3', DOCKER_LOGIN: 'false',
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(box.commandLines(), [
    'docker image inspect crm:built',
    'docker tag crm:built 127.0.0.1:5001/crm/web:v1.2.3',
    'docker push 127.0.0.1:5001/crm/web:v1.2.3',
    'docker tag crm:built 127.0.0.1:5001/crm/web:latest',
    'docker push 127.0.0.1:5001/crm/web:latest',
  ]);
  assert.match(result.stdout, /Pushed 127\.0\.0\.1:5001\/crm\/web:v1\.2\.3/);
});

test('when the local source image does not exist, it exits non-zero with a hint and does not log in', async (t) => {
  const box = sandbox(t, 'image inspect');
  const result = await box.run(scripts.push, CREDENTIALS);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /source image 'globomantics-crm:local' not found/);
  assert.ok(!box.commandLines().some((l) => l.startsWith('docker login')));
});

test('when docker login fails, it exits non-zero and pushes nothing', async (t) => {
  const box = sandbox(t, 'login');
  const result = await box.run(scripts.push, CREDENTIALS);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /docker login to docker\.io failed/);
  assert.ok(!box.commandLines().some((l) => l.startsWith('docker push')));
});

test('when a push fails, it exits non-zero naming the reference and still logs out', async (t) => {
  const box = sandbox(t, 'push');
  const result = await box.run(scripts.push, CREDENTIALS);
  assert.notEqual(result.code, 0);
  assert.ok(result.stderr.includes(`docker push docker.io/globouser/globomantics-crm:${SHA} failed`), result.stderr);
  assert.equal(box.commandLines().at(-1), 'docker logout docker.io');
});

test('when IMAGE_TAG is unset outside a git checkout, it exits non-zero and asks for IMAGE_TAG', async (t) => {
  const box = sandbox(t);
  box.fake('git', 'echo "fatal: not a git repository" >&2; exit 128');
  const result = await box.run(scripts.push, CREDENTIALS);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /cannot determine the git commit.*set IMAGE_TAG/);
});

test('when IMAGE_TAG is not a valid Docker tag, it exits non-zero before touching docker', async (t) => {
  const box = sandbox(t);
  const result = await box.run(scripts.push, { ...CREDENTIALS, IMAGE_TAG: 'bad tag/with spaces' });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /not a valid Docker tag/);
  assert.deepEqual(box.calls(), []);
});
