import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { scripts } from '../support/paths.js';
import { Sandbox } from '../support/sandbox.js';

const PINNED = 'v1.32.4';
const AWS_ENV = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret', AWS_DEFAULT_REGION: 'eu-west-1' };

interface Setup {
  box: Sandbox;
  installDir: string;
  env: Record<string, string>;
}

/**
 * Fake curl serves a fake kubectl (reporting `version`) and its checksum; fake aws
 * answers sts/eks. `checksum` overrides the published sha256, `curlFails` fails downloads.
 */
function setup(t: TestContext, opts: { version?: string; checksum?: string; curlFails?: boolean; aws?: string } = {}): Setup {
  const box = new Sandbox(t);
  const installDir = path.join(box.dir, 'install');
  const kubectl = box.fakeSource(
    'kubectl',
    `[[ "$1" == version ]] && printf '{\\n  "clientVersion": {\\n    "gitVersion": "%s"\\n  }\\n}\\n' '${opts.version ?? PINNED}'
     [[ "$1 $2" == "config current-context" ]] && echo arn:aws:eks:eu-west-1:123456789012:cluster/globo_cluster
     exit 0`,
  );
  fs.writeFileSync(path.join(box.dir, 'payload'), kubectl);
  fs.writeFileSync(path.join(box.dir, 'payload.sha256'), opts.checksum ?? createHash('sha256').update(kubectl).digest('hex'));
  box.fake(
    'curl',
    `${opts.curlFails ? 'echo "curl: (22) The requested URL returned error: 404" >&2; exit 22' : ''}
     while (($#)); do case "$1" in -o) out="$2"; shift 2 ;; *) url="$1"; shift ;; esac; done
     if [[ "$url" == *.sha256 ]]; then cp "$FAKE_DIR/payload.sha256" "$out"; else cp "$FAKE_DIR/payload" "$out"; fi`,
  );
  box.fake(
    'aws',
    opts.aws ??
      `[[ "$1 $2" == "sts get-caller-identity" ]] && echo arn:aws:iam::123456789012:user/ci
       [[ "$1 $2" == "configure get" ]] && exit 1
       exit 0`,
  );
  return { box, installDir, env: { ...AWS_ENV, KUBECTL_INSTALL_DIR: installDir } };
}

function without(env: Record<string, string>, key: string): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => k !== key));
}

test('when kubectl is absent, it installs the pinned, checksum-verified kubectl and then connects to globo_cluster', async (t) => {
  const { box, installDir, env } = setup(t);
  const result = await box.run(scripts.install, env);
  assert.equal(result.code, 0, result.stderr);
  const lines = box.commandLines();
  assert.match(lines[0]!, /^curl .*https:\/\/dl\.k8s\.io\/release\/v1\.32\.4\/bin\/linux\/(amd64|arm64)\/kubectl$/);
  assert.match(lines[1]!, /^curl .*https:\/\/dl\.k8s\.io\/release\/v1\.32\.4\/bin\/linux\/(amd64|arm64)\/kubectl\.sha256$/);
  assert.deepEqual(lines.slice(2), [
    'kubectl version --client -o json',
    'aws sts get-caller-identity --query Arn --output text',
    'aws eks update-kubeconfig --name globo_cluster --region eu-west-1',
    'kubectl config current-context',
  ]);
  const installed = fs.statSync(path.join(installDir, 'kubectl'));
  assert.equal(installed.mode & 0o777, 0o755);
  assert.match(result.stdout, /AWS identity: arn:aws:iam::123456789012:user\/ci/);
});

test('when the pinned kubectl is already installed, it skips the download', async (t) => {
  const { box, installDir, env } = setup(t);
  fs.mkdirSync(installDir);
  fs.copyFileSync(path.join(box.dir, 'payload'), path.join(installDir, 'kubectl'));
  fs.chmodSync(path.join(installDir, 'kubectl'), 0o755);
  const result = await box.run(scripts.install, { ...env, EKS_CLUSTER: 'other_cluster' });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /already installed/);
  assert.ok(!box.calls().some((c) => c.tool === 'curl'), 'downloaded anyway');
  assert.ok(box.commandLines().includes('aws eks update-kubeconfig --name other_cluster --region eu-west-1'));
});

test('when a different kubectl version is installed, it downloads and replaces it', async (t) => {
  const { box, installDir, env } = setup(t);
  fs.mkdirSync(installDir);
  fs.writeFileSync(path.join(installDir, 'kubectl'), box.fakeSource('old-kubectl', 'echo \'{"gitVersion": "v1.20.0"}\''), { mode: 0o755 });
  const result = await box.run(scripts.install, env);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(box.calls().filter((c) => c.tool === 'curl').length, 2);
  assert.equal(fs.readFileSync(path.join(installDir, 'kubectl'), 'utf8'), fs.readFileSync(path.join(box.dir, 'payload'), 'utf8'));
});

test('when the checksum does not match, it exits non-zero, says so and installs nothing', async (t) => {
  const { box, installDir, env } = setup(t, { checksum: 'f'.repeat(64) });
  const result = await box.run(scripts.install, env);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /checksum mismatch for kubectl/);
  assert.ok(!fs.existsSync(path.join(installDir, 'kubectl')));
  assert.ok(!box.calls().some((c) => c.tool === 'aws'));
});

test('when the download fails, it exits non-zero naming the URL', async (t) => {
  const { box, env } = setup(t, { curlFails: true });
  const result = await box.run(scripts.install, env);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /download of https:\/\/dl\.k8s\.io\/release\/.*\/kubectl failed/);
});

test('when the AWS CLI is not installed, it exits non-zero with an install hint', async (t) => {
  const { box, env } = setup(t);
  fs.rmSync(path.join(box.bin, 'aws'));
  const result = await box.run(scripts.install, env);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /the AWS CLI \(aws\) is not installed/);
});

test('when AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY, it exits non-zero naming the missing variable', async (t) => {
  const { box, env } = setup(t);
  const result = await box.run(scripts.install, without(env, 'AWS_SECRET_ACCESS_KEY'));
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /AWS_SECRET_ACCESS_KEY is missing/);
  assert.ok(!box.calls().some((c) => c.tool === 'aws'));
});

test('when no AWS region is set or configured, it exits non-zero asking for AWS_DEFAULT_REGION', async (t) => {
  const { box, env } = setup(t);
  const result = await box.run(scripts.install, without(env, 'AWS_DEFAULT_REGION'));
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /no AWS region: set AWS_DEFAULT_REGION/);
});

test('when the AWS credentials are rejected, it exits non-zero and leaves the kubeconfig alone', async (t) => {
  const { box, env } = setup(t, { aws: '[[ "$1" == sts ]] && { echo "An error occurred (InvalidClientTokenId)" >&2; exit 254; }; exit 0' });
  const result = await box.run(scripts.install, env);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /AWS credentials are missing or invalid/);
  assert.ok(!box.commandLines().some((l) => l.startsWith('aws eks')));
});
