import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseEnv } from 'node:util';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { find, ofKind, parseObjects, type K8sObject } from '../support/kustomize.js';
import { k8sDir, manifestDir, ROOT, scripts } from '../support/paths.js';
import { Sandbox } from '../support/sandbox.js';
import { requireTool } from '../support/tools.js';

const SHA = 'fedcba9876543210fedcba9876543210fedcba98';
const NS = 'globomantics-crm';
const BOOTSTRAP_PASSWORD = randomBytes(16).toString('hex');
const SECRETS = {
  K8S_MYSQL_ROOT_PASSWORD: 'root-pw-from-env',
  K8S_MYSQL_PASSWORD: 'app-pw-from-env',
  K8S_SESSION_SECRET: randomBytes(32).toString('hex'),
  K8S_TLS_CRT: '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----',
  K8S_TLS_KEY: 'fake key material',
  K8S_BOOTSTRAP_ADMIN: `username=admin\npassword=${BOOTSTRAP_PASSWORD}\n`,
};

interface Setup {
  box: Sandbox;
  manifests: string;
  env: Record<string, string>;
  applied: () => K8sObject[][];
}

/**
 * A sandbox whose fake kubectl renders with the real `kubectl kustomize`, keeps a copy
 * of every file passed to `apply -f`, and fails any call whose argv contains `fail`.
 * The manifests are a copy of k8s/manifest without any real secret files.
 */
function setup(t: TestContext, fail = '__never__'): Setup | undefined {
  const realKubectl = requireTool(t, 'kubectl');
  if (!realKubectl) return undefined;
  const box = new Sandbox(t);
  const manifests = path.join(box.dir, 'manifest');
  fs.cpSync(manifestDir, manifests, { recursive: true });
  const overlays = path.join(box.dir, 'overlays');
  fs.cpSync(path.join(k8sDir, 'overlays'), overlays, { recursive: true });
  // Only what is committed: no secret file or CA bundle a developer may have put there.
  for (const dir of [path.join(manifests, 'secrets'), path.join(overlays, 'managed-database', 'secrets'), path.join(overlays, 'managed-database', 'db-ca')]) {
    for (const f of fs.readdirSync(dir)) if (!f.endsWith('.example') && f !== '.gitignore') fs.rmSync(path.join(dir, f));
  }
  box.fake('git', `[[ "$*" == "rev-parse HEAD" ]] && echo ${SHA}`);
  box.fake(
    'kubectl',
    `[[ "$1" == kustomize ]] && exec '${realKubectl}' "$@"
     [[ "$*" == *'${fail}'* ]] && { echo "kubectl: simulated failure" >&2; exit 1; }
     if [[ "$1" == apply ]]; then
       n=$(cat "$FAKE_DIR/applied.count" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" >"$FAKE_DIR/applied.count"
       cp "$3" "$FAKE_DIR/applied-$n.yaml"
     fi
     [[ "$3" == get ]] && echo "NAME READY STATUS"
     exit 0`,
  );
  const applied = () =>
    fs.readdirSync(box.dir).filter((f) => /^applied-\d+\.yaml$/.test(f)).sort()
      .map((f) => parseObjects(fs.readFileSync(path.join(box.dir, f), 'utf8')));
  return { box, manifests, applied, env: { MANIFEST_DIR: manifests, OVERLAYS_DIR: overlays, DOCKER_USERNAME: 'globouser', IMAGE_TAG: SHA, ...SECRETS } };
}

const decode = (s: ISecret, key: string) =>
  Buffer.from((new Map(Object.entries(s.data ?? {})).get(key) ?? '').replace(/\s+/g, ''), 'base64').toString('utf8');

/** The Secret kustomize generated as `name` (its name carries a hash of its content). */
const generatedSecret = (objects: K8sObject[], name: string) => ofKind<ISecret>(objects, 'Secret').find((x) => x.metadata!.name!.startsWith(`${name}-`));

/** The kubectl command lines the fake saw, the temporary directory shown as <tmp>. */
const commandsRun = (box: Sandbox) => box.commandLines().map((l) => l.replace(/\/\S*\/(deploy|rendered\.yaml)/, '<tmp>/$1'));

/** What deploy_k8s.sh runs, in order: the in-cluster MySQL is waited for unless the database is managed. */
function deployCommands(job: string, { managed = false } = {}): string[] {
  return [
    'kubectl kustomize <tmp>/deploy',
    `kubectl -n ${NS} delete job ${job} --ignore-not-found --wait=true`,
    'kubectl apply -f <tmp>/rendered.yaml -l app.kubernetes.io/component notin (web,worker)',
    ...(managed ? [] : [`kubectl -n ${NS} rollout status statefulset/db --timeout=300s`]),
    `kubectl -n ${NS} rollout status deployment/redis --timeout=300s`,
    `kubectl -n ${NS} wait --for=condition=complete job/${job} --timeout=600s`,
    'kubectl apply -f <tmp>/rendered.yaml',
    `kubectl -n ${NS} rollout status deployment/web --timeout=300s`,
    `kubectl -n ${NS} rollout status deployment/worker --timeout=300s`,
    `kubectl -n ${NS} get pods,services -o wide`,
  ];
}

test('it migrates once with a Job named after the tag, waits for it, then rolls out web and the worker with the pushed image', async (t) => {
  const s = setup(t);
  if (!s) return;
  const result = await s.box.run(scripts.deploy, s.env);
  assert.equal(result.code, 0, result.stderr);
  const job = `crm-migrate-${SHA}`;
  assert.deepEqual(commandsRun(s.box), deployCommands(job));

  const [objects] = s.applied();
  assert.ok(objects);
  const image = `docker.io/globouser/globomantics-crm:${SHA}`;
  // The first apply's selector (component notin (web,worker)) leaves out every Deployment
  // of the new image: only the migration Job runs it before the migrations completed.
  const early = ofKind<IDeployment>(objects, 'Deployment')
    .filter((d) => d.spec!.template.spec!.containers.some((c) => c.image === image))
    .filter((d) => !['web', 'worker'].includes(d.metadata!.labels!['app.kubernetes.io/component'] ?? ''));
  assert.deepEqual(early.map((d) => d.metadata?.name), []);
  for (const name of ['web', 'worker']) {
    const deployment: IDeployment = find<IDeployment>(objects, 'Deployment', name);
    assert.equal(deployment.spec!.template.spec!.containers[0]!.image, image, name);
    assert.equal(deployment.spec!.template.metadata!.labels!['app.kubernetes.io/version'], SHA, name);
  }
  // Without K8S_SMTP_URL it says so, and the Secret is empty: nothing is sent.
  assert.match(result.stderr, /No SMTP URL \(secrets\/smtp-url or K8S_SMTP_URL\): the worker will send no e-mail/);
  const smtp = generatedSecret(objects, 'crm-smtp')!;
  assert.equal(decode(smtp, 'smtp-url'), '');
  const migrate = find<IJob>(objects, 'Job', job);
  assert.equal(migrate.spec!.template.spec!.containers[0]!.image, image);
  const db = generatedSecret(objects, 'crm-db')!;
  assert.equal(decode(db, 'mysql-password'), SECRETS.K8S_MYSQL_PASSWORD);
  const bootstrap = generatedSecret(objects, 'crm-bootstrap-admin')!;
  assert.equal(decode(bootstrap, 'bootstrap-admin'), SECRETS.K8S_BOOTSTRAP_ADMIN);
  assert.ok(result.stdout.includes(`Deployed ${image}`), result.stdout);

  const argv = s.box.calls().flatMap((c) => c.args).join(' ');
  for (const value of [...Object.values(SECRETS), BOOTSTRAP_PASSWORD]) assert.ok(!argv.includes(value), 'a secret leaked into argv');
  assert.ok(!`${result.stdout}${result.stderr}`.includes(BOOTSTRAP_PASSWORD), 'the bootstrap password was printed');
  assert.deepEqual(fs.readdirSync(s.box.tmp), [], 'the temporary copy with the secrets was not removed');
});

test('with secret files in the manifest dir and no IMAGE_TAG, it deploys REGISTRY/IMAGE at the current git commit', async (t) => {
  const s = setup(t);
  if (!s || !requireTool(t, 'openssl')) return;
  const files: Record<string, string> = {
    'mysql-root-password': 'root-from-file', 'mysql-password': 'app-from-file',
    'session-secret': randomBytes(24).toString('base64'), 'tls.crt': 'crt', 'tls.key': 'key',
  };
  for (const [name, value] of Object.entries(files)) fs.writeFileSync(path.join(s.manifests, 'secrets', name), value);
  // The bootstrap admin as the script the missing-file message names makes it.
  const bootstrapFile = path.join(s.manifests, 'secrets', 'bootstrap-admin');
  const made = spawnSync(path.join(ROOT, 'scripts', 'make-bootstrap-admin.sh'), [bootstrapFile], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const result = await s.box.run(scripts.deploy, { MANIFEST_DIR: s.manifests, REGISTRY: '127.0.0.1:5001', IMAGE: 'crm/web' });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(s.box.commandLines()[0], 'git rev-parse HEAD');
  const objects = s.applied()[1]!;
  assert.equal(find<IDeployment>(objects, 'Deployment', 'web').spec!.template.spec!.containers[0]!.image, `127.0.0.1:5001/crm/web:${SHA}`);
  const db = generatedSecret(objects, 'crm-db')!;
  assert.equal(decode(db, 'mysql-root-password'), 'root-from-file');
  const bootstrap = generatedSecret(objects, 'crm-bootstrap-admin')!;
  assert.equal(decode(bootstrap, 'bootstrap-admin'), fs.readFileSync(bootstrapFile, 'utf8'));
});

test('when the migration Job does not complete, it shows its logs, exits non-zero and leaves web and the worker untouched', async (t) => {
  const s = setup(t, 'wait --for=condition=complete');
  if (!s) return;
  const result = await s.box.run(scripts.deploy, s.env);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /migration Job crm-migrate-\w+ did not complete.*web and the worker were not updated/);
  const lines = s.box.commandLines();
  assert.ok(lines.some((l) => l.includes(`logs job/crm-migrate-${SHA}`)), 'no job logs shown');
  assert.equal(s.applied().length, 1, 'the web tier was applied anyway');
  assert.ok(!lines.some((l) => l.includes('deployment/web') || l.includes('deployment/worker')));
});

test('when the worker rollout fails or times out, it shows the worker\'s logs, exits non-zero and says so', async (t) => {
  const s = setup(t, 'rollout status deployment/worker');
  if (!s) return;
  const result = await s.box.run(scripts.deploy, s.env);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /rollout of deployment\/worker to docker\.io\/globouser\/globomantics-crm:\w+ failed or timed out after 300s \(the old worker keeps sending/);
  assert.ok(s.box.commandLines().some((l) => l.endsWith('logs deployment/worker --tail=50')), 'no worker logs shown');
});

test('with an SMTP URL, the sender, the public address and narrower SMTP egress, it deploys them to web and the worker', async (t) => {
  const s = setup(t);
  if (!s) return;
  const smtpUrl = `smtp://crm:${randomBytes(8).toString('hex')}@smtp.mailer.net:587`;
  const result = await s.box.run(scripts.deploy, {
    ...s.env, K8S_SMTP_URL: smtpUrl, MAIL_FROM: 'Globex Billing <billing@globex.net>', PUBLIC_BASE_URL: 'https://crm.globex.net',
    SMTP_EGRESS_PORTS: '587', SMTP_EGRESS_CIDR: '10.0.12.7/32', REMINDERS_AT: '09:00',
  });
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /No SMTP URL/);
  const objects = s.applied()[1]!;
  const smtp = generatedSecret(objects, 'crm-smtp')!;
  assert.equal(decode(smtp, 'smtp-url'), smtpUrl);
  const mail = ofKind<IConfigMap>(objects, 'ConfigMap').find((x) => x.metadata?.name?.startsWith('crm-mail-'))!;
  assert.deepEqual(mail.data, { MAIL_FROM: 'Globex Billing <billing@globex.net>', PUBLIC_BASE_URL: 'https://crm.globex.net', REMINDERS_AT: '09:00', SMTP_REQUIRE_TLS: 'true' });
  for (const name of ['web', 'worker']) {
    const container = find<IDeployment>(objects, 'Deployment', name).spec!.template.spec!.containers[0]!;
    assert.ok(container.envFrom?.some((f) => f.configMapRef?.name === mail.metadata?.name), `${name} lacks ${mail.metadata?.name}`);
    assert.equal(container.env?.find((e) => e.name === 'SMTP_URL')?.valueFrom?.secretKeyRef?.name, smtp.metadata?.name, name);
  }
  const egress = find<INetworkPolicy>(objects, 'NetworkPolicy', 'worker-smtp-egress').spec!.egress;
  assert.deepEqual(egress, [{ to: [{ ipBlock: { cidr: '10.0.12.7/32' } }], ports: [{ protocol: 'TCP', port: 587 }] }]);
  assert.ok(!s.box.calls().flatMap((c) => c.args).join(' ').includes(smtpUrl), 'the SMTP URL leaked into argv');
});

test('an SMTP URL that is a placeholder, or one with the placeholder sender or address, is refused before kubectl runs', async (t) => {
  const real = 'smtp://crm:9f8e7d6c5b4a@smtp.mailer.net:587';
  const cases: [string, Record<string, string>, RegExp][] = [
    ['the committed example', { K8S_SMTP_URL: fs.readFileSync(path.join(manifestDir, 'secrets', 'smtp-url.example'), 'utf8') },
      /secrets\/smtp-url \(or K8S_SMTP_URL\) is a placeholder \(it contains "change-me"\)/],
    ['no MAIL_FROM', { K8S_SMTP_URL: real, PUBLIC_BASE_URL: 'https://crm.globex.net' },
      /MAIL_FROM is still the placeholder of k8s\/manifest\/kustomization\.yaml while an SMTP URL is set/],
    ['no PUBLIC_BASE_URL', { K8S_SMTP_URL: real, MAIL_FROM: 'billing@globex.net' },
      /PUBLIC_BASE_URL is still the placeholder of k8s\/manifest\/kustomization\.yaml while an SMTP URL is set/],
    ['a quote in MAIL_FROM', { MAIL_FROM: 'Globex "Billing" <billing@globex.net>' }, /MAIL_FROM must be one line without double quotes or backslashes/],
    ['a reminder time that is not HH:MM', { REMINDERS_AT: '9am' }, /REMINDERS_AT '9am' is not a time of day as HH:MM/],
    ['a port that is not one', { SMTP_EGRESS_PORTS: '587 smtp' }, /SMTP_EGRESS_PORTS must be TCP port numbers separated by spaces/],
    ['port 0', { SMTP_EGRESS_PORTS: '0' }, /SMTP_EGRESS_PORTS must be TCP port numbers/],
    ['no port', { SMTP_EGRESS_PORTS: ' ' }, /SMTP_EGRESS_PORTS is empty/],
    ['a host name for a CIDR', { SMTP_EGRESS_CIDR: 'smtp.mailer.net' }, /SMTP_EGRESS_CIDR 'smtp\.mailer\.net' is not an IPv4 CIDR/],
  ];
  for (const [what, extra, why] of cases) {
    const s = setup(t);
    if (!s) return;
    const result = await s.box.run(scripts.deploy, { ...s.env, ...extra });
    assert.notEqual(result.code, 0, what);
    assert.match(result.stderr, why, what);
    assert.ok(!s.box.calls().some((c) => c.args[0] === 'apply'), `${what}: something was applied`);
    if (extra.K8S_SMTP_URL) assert.ok(!result.stderr.includes(extra.K8S_SMTP_URL), `${what}: the SMTP URL was printed`);
  }
});

test('when the web rollout fails or times out, it exits non-zero and says so', async (t) => {
  const s = setup(t, 'rollout status deployment/web');
  if (!s) return;
  const result = await s.box.run(scripts.deploy, s.env);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /rollout of deployment\/web to docker\.io\/globouser\/globomantics-crm:\w+ failed or timed out after 300s/);
});

test('when secret values are missing, it exits non-zero listing each one and applies nothing', async (t) => {
  const s = setup(t);
  if (!s) return;
  const result = await s.box.run(scripts.deploy, { MANIFEST_DIR: s.manifests, DOCKER_USERNAME: 'globouser', IMAGE_TAG: SHA });
  assert.notEqual(result.code, 0);
  for (const name of ['MYSQL_ROOT_PASSWORD', 'MYSQL_PASSWORD', 'SESSION_SECRET', 'TLS_CRT', 'TLS_KEY', 'BOOTSTRAP_ADMIN']) {
    assert.ok(result.stderr.includes(`K8S_${name}`), `K8S_${name} not named`);
  }
  assert.deepEqual(s.box.calls(), []);
});

test('when only the bootstrap-admin file is missing, it says so and which script makes one', async (t) => {
  const s = setup(t);
  if (!s) return;
  const others = Object.entries(s.env).filter(([name]) => name !== 'K8S_BOOTSTRAP_ADMIN');
  const result = await s.box.run(scripts.deploy, Object.fromEntries(others));
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /missing secret value\(s\): secrets\/bootstrap-admin \(or K8S_BOOTSTRAP_ADMIN\);/);
  assert.doesNotMatch(result.stderr, /K8S_SESSION_SECRET/);
  assert.ok(
    result.stderr.includes(`make secrets/bootstrap-admin (the first staff admin, with a random password) with: scripts/make-bootstrap-admin.sh ${s.manifests}/secrets/bootstrap-admin`),
    result.stderr,
  );
  assert.deepEqual(s.box.calls(), []);
});

/** Runs the deploy with one secret replaced; the result, and whether anything reached kubectl. */
async function deployWith(t: TestContext, name: keyof typeof SECRETS, value: string) {
  const s = setup(t);
  if (!s) return undefined;
  const result = await s.box.run(scripts.deploy, { ...s.env, [name]: value });
  return { ...result, calls: s.box.calls() };
}

/** Asserts the deploy was refused before any kubectl call, saying why and how to make a real secret. */
function assertRefused(result: Awaited<ReturnType<typeof deployWith>>, why: RegExp, value: string) {
  assert.ok(result);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, why);
  assert.deepEqual(result.calls, [], 'kubectl was called for a refused secret');
  if (value.trim().length > 8) assert.ok(!result.stderr.includes(value), 'the refused value was printed');
}

const OPENSSL_HINT = /generate one with: openssl rand -hex 32/;

test('when the session secret is shorter than 32 characters, it refuses to deploy', async (t) => {
  const result = await deployWith(t, 'K8S_SESSION_SECRET', '7f3a9c2e5b8d1046');
  if (!result) return;
  assertRefused(result, /session secret must be at least 32 characters long \(it has 16\)/, '7f3a9c2e5b8d1046');
  assert.match(result.stderr, OPENSSL_HINT);
});

test('the session secret placeholder .env.example used to ship is refused as a placeholder', async (t) => {
  // Older copies of .env.example, and .env files made from them, still carry it.
  const shipped = 'change-me-to-a-random-string-of-32-or-more-chars';
  const result = await deployWith(t, 'K8S_SESSION_SECRET', shipped);
  if (!result) return;
  assertRefused(result, /secrets\/session-secret \(or K8S_SESSION_SECRET\) is a placeholder \(it contains "change-me"\), not a secret/, shipped);
  assert.match(result.stderr, OPENSSL_HINT);
});

test('every password or secret value .env.example ships is refused for the same secret', async (t) => {
  const refusal = new Map<string, [keyof typeof SECRETS, RegExp]>([
    ['MYSQL_ROOT_PASSWORD', ['K8S_MYSQL_ROOT_PASSWORD', /\(or K8S_MYSQL_ROOT_PASSWORD\) is a placeholder/]],
    ['MYSQL_PASSWORD', ['K8S_MYSQL_PASSWORD', /\(or K8S_MYSQL_PASSWORD\) is a placeholder/]],
    ['SESSION_SECRET', ['K8S_SESSION_SECRET', /\(or K8S_SESSION_SECRET\) is a placeholder/]],
  ]);
  const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
  const values = [...example.matchAll(/^(MYSQL_ROOT_PASSWORD|MYSQL_PASSWORD|SESSION_SECRET)=(.+)$/gm)];
  if (values.length === 0) {
    t.skip('.env.example ships no password or secret value');
    return;
  }
  for (const [, name = '', value = ''] of values) {
    const [k8sName, why] = refusal.get(name)!;
    const result = await deployWith(t, k8sName, value);
    if (!result) return;
    assertRefused(result, why, value);
  }
});

test('a long change-me… session secret is refused as a placeholder whatever its case', async (t) => {
  const value = `Change-Me-${randomBytes(24).toString('hex')}`;
  const result = await deployWith(t, 'K8S_SESSION_SECRET', value);
  if (!result) return;
  assertRefused(result, /is a placeholder \(it contains "Change-Me"\)/, value);
  assert.match(result.stderr, OPENSSL_HINT);
});

test('changeme, placeholder and example inside a session secret are refused as placeholders', async (t) => {
  const cases = [
    ['changeme', /is a placeholder \(it contains "changeme"\)/],
    ['PLACEHOLDER', /is a placeholder \(it contains "PLACEHOLDER"\)/],
    ['example', /is a placeholder \(it contains "example"\)/],
  ] as const;
  for (const [word, why] of cases) {
    const value = `${randomBytes(16).toString('hex')}${word}${randomBytes(8).toString('hex')}`;
    const result = await deployWith(t, 'K8S_SESSION_SECRET', value);
    if (!result) return;
    assertRefused(result, why, value);
  }
});

test('32 spaces as the session secret are refused as one character repeated', async (t) => {
  const result = await deployWith(t, 'K8S_SESSION_SECRET', ' '.repeat(32));
  if (!result) return;
  assertRefused(result, /the session secret is one character repeated, not a secret/, ' '.repeat(32));
  assert.match(result.stderr, OPENSSL_HINT);
});

test("32 × 'a' as the session secret is refused as one character repeated", async (t) => {
  const result = await deployWith(t, 'K8S_SESSION_SECRET', 'a'.repeat(32));
  if (!result) return;
  assertRefused(result, /the session secret is one character repeated, not a secret/, 'a'.repeat(32));
  assert.match(result.stderr, OPENSSL_HINT);
});

test('a session secret of fewer than 8 different characters is refused as too predictable', async (t) => {
  const result = await deployWith(t, 'K8S_SESSION_SECRET', 'ab'.repeat(20));
  if (!result) return;
  assertRefused(result, /the session secret has only 2 different characters \(at least 8 needed\)/, 'ab'.repeat(20));
});

test('a session secret dominated by one character is refused as too predictable', async (t) => {
  // Nine different characters, but 28 of the 36 are "a": about 51 bits.
  const value = `${'a'.repeat(28)}bcdefghi`;
  const result = await deployWith(t, 'K8S_SESSION_SECRET', value);
  if (!result) return;
  assertRefused(result, /the session secret is too predictable: about 51 bits .* \(at least 96 needed\)/, value);
  assert.match(result.stderr, OPENSSL_HINT);
});

test('a random hex session secret deploys, also one that happens to use only 12 of the 16 hex digits', async (t) => {
  // openssl rand -hex 32 leaves out at least one hex digit about one time in four.
  const twelveDigits = [...randomBytes(64)].map((b) => '0123456789ab'[b % 12]).join('');
  for (const value of [randomBytes(32).toString('hex'), twelveDigits]) {
    const result = await deployWith(t, 'K8S_SESSION_SECRET', value);
    if (!result) return;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.calls.some((c) => c.args.join(' ').includes('rollout status deployment/web')), 'web was not rolled out');
  }
});

test('every secret that is still its committed secrets/*.example placeholder is refused', async (t) => {
  const example = (file: string) => fs.readFileSync(path.join(manifestDir, 'secrets', `${file}.example`), 'utf8');
  const cases = [
    ['K8S_SESSION_SECRET', example('session-secret'), /secrets\/session-secret \(or K8S_SESSION_SECRET\) is a placeholder.*openssl rand -hex 32/],
    ['K8S_MYSQL_ROOT_PASSWORD', example('mysql-root-password'), /secrets\/mysql-root-password \(or K8S_MYSQL_ROOT_PASSWORD\) is a placeholder.*openssl rand -hex 24/],
    ['K8S_MYSQL_PASSWORD', example('mysql-password'), /secrets\/mysql-password \(or K8S_MYSQL_PASSWORD\) is a placeholder.*openssl rand -hex 24/],
    ['K8S_TLS_CRT', example('tls.crt'), /secrets\/tls\.crt \(or K8S_TLS_CRT\) is a placeholder \(it contains "Placeholder"\)/],
    ['K8S_TLS_KEY', example('tls.key'), /secrets\/tls\.key \(or K8S_TLS_KEY\) is a placeholder \(it contains "Placeholder"\)/],
    ['K8S_BOOTSTRAP_ADMIN', example('bootstrap-admin'), /secrets\/bootstrap-admin \(or K8S_BOOTSTRAP_ADMIN\) still has the password of secrets\/bootstrap-admin\.example.*scripts\/make-bootstrap-admin\.sh/],
  ] as const;
  for (const [name, value, why] of cases) {
    const result = await deployWith(t, name, value);
    if (!result) return;
    assertRefused(result, why, value);
  }
});

test('when neither IMAGE nor DOCKER_USERNAME is set, it exits non-zero naming them', async (t) => {
  const s = setup(t);
  if (!s) return;
  const result = await s.box.run(scripts.deploy, { ...SECRETS, MANIFEST_DIR: s.manifests, IMAGE_TAG: SHA });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /missing required environment variable: IMAGE \(or DOCKER_USERNAME\)/);
  assert.deepEqual(s.box.calls(), []);
});

const BOOTSTRAP_HINT = /make one with: scripts\/make-bootstrap-admin\.sh \S+\/secrets\/bootstrap-admin \(or give password_hash=\$argon2id\$\.\.\. instead of password=\)/;
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$9sBdfPWaIkBMVp8Ubd8vGzbE2hvFlzSnjMBNkDnbuhM';

test('a bootstrap-admin file whose password is weak, or that names no admin, is refused before kubectl runs', async (t) => {
  const examplePassword = parseEnv(fs.readFileSync(path.join(manifestDir, 'secrets', 'bootstrap-admin.example'), 'utf8')).password ?? '';
  assert.ok(examplePassword.length >= 12, 'the example password is refused for being the example, not for its length');
  const cases: [string, string, RegExp][] = [
    ['11 characters', 'username=admin\npassword=7f3a9c2e5b8\n',
      /the bootstrap admin password in secrets\/bootstrap-admin \(or K8S_BOOTSTRAP_ADMIN\) must be at least 12 characters long \(it has 11\)/],
    // util.parseEnv ends an unquoted value at "#": the app would get "abcdefgh".
    ['cut by a "#"', 'username=admin\npassword=abcdefgh#ijklmnopqrst\n', /must be at least 12 characters long \(it has 8\)/],
    // Characters, not bytes: 11 two-byte characters are 22 bytes.
    ['11 non-ASCII characters', `username=admin\npassword=${'é'.repeat(11)}\n`, /must be at least 12 characters long \(it has 11\)/],
    ['the example password, another user name', `username=root\npassword=${examplePassword}\n`,
      /secrets\/bootstrap-admin \(or K8S_BOOTSTRAP_ADMIN\) still has the password of secrets\/bootstrap-admin\.example, a placeholder, not a secret/],
    ['the example password, quoted, CRLF', `export username = ops\r\npassword = "${examplePassword}"  # from the example\r\n`,
      /still has the password of secrets\/bootstrap-admin\.example/],
    ['a placeholder word', `username=admin\npassword=${randomBytes(8).toString('hex')}-Example\n`,
      /secrets\/bootstrap-admin \(or K8S_BOOTSTRAP_ADMIN\): the password is a placeholder \(it contains "Example"\), not a secret/],
    ['no user name', `password=${BOOTSTRAP_PASSWORD}\n`, /secrets\/bootstrap-admin \(or K8S_BOOTSTRAP_ADMIN\) has no username=/],
    ['an empty user name', `username=\npassword=${BOOTSTRAP_PASSWORD}\n`, /has no username=/],
    ['no password', 'username=admin\n', /has neither password= nor password_hash=/],
    ['a password_hash that is not argon2id', `username=admin\npassword_hash=$2b$12$${'a'.repeat(53)}\n`,
      /secrets\/bootstrap-admin \(or K8S_BOOTSTRAP_ADMIN\): password_hash is not an argon2id hash/],
    ['a quote left open', `username=admin\npassword="${BOOTSTRAP_PASSWORD}\n`, /line 2 opens a quote that does not close on that line/],
  ];
  for (const [what, text, why] of cases) {
    const result = await deployWith(t, 'K8S_BOOTSTRAP_ADMIN', text);
    if (!result) return;
    assert.ok(result);
    assert.notEqual(result.code, 0, what);
    assert.match(result.stderr, why, what);
    if (!/hash|quote/.test(what)) assert.match(result.stderr, BOOTSTRAP_HINT, what);
    assert.deepEqual(result.calls, [], `${what}: kubectl was called`);
    const password = parseEnv(text).password ?? '';
    if (password.length > 8) assert.ok(!result.stderr.includes(password), `${what}: the password was printed`);
    // The length it reports is what the app will read.
    const reported = /\(it has (\d+)\)/.exec(result.stderr)?.[1];
    if (reported) assert.equal(Number(reported), [...password].length, what);
  }
});

test('a bootstrap-admin file deploys with a 12-character password, or with an argon2id password_hash and no usable password', async (t) => {
  const cases: [string, string][] = [
    ['12 characters', 'username=admin\npassword=7f3a9c2e5b8d\n'],
    ['12 non-ASCII characters, quoted, with comments', `# the first admin\nusername=admin\npassword='${'é'.repeat(12)}'\n`],
    ['a password_hash', `username=admin\npassword_hash=${HASH}\n`],
    ['a password_hash beside a short password', `username=admin\npassword=short\npassword_hash=${HASH}\n`],
  ];
  for (const [what, text] of cases) {
    const s = setup(t);
    if (!s) return;
    const result = await s.box.run(scripts.deploy, { ...s.env, K8S_BOOTSTRAP_ADMIN: text });
    assert.equal(result.code, 0, `${what}: ${result.stderr}`);
    const objects = s.applied()[1]!;
    const bootstrap = generatedSecret(objects, 'crm-bootstrap-admin')!;
    assert.equal(decode(bootstrap, 'bootstrap-admin'), text, what);
  }
});

/** A managed database as a deploy would be given it: Aurora's writer and reader endpoints, a migrator of its own, the CA bundle, the subnets. */
const WRITER = 'crm.cluster-c0ffee.eu-west-1.rds.amazonaws.com';
const password = () => randomBytes(12).toString('hex');
const MANAGED = {
  K8S_OVERLAY: 'managed-database',
  K8S_DATABASE_URL: `mysql://crm_app:${password()}@${WRITER}:3306/crm`,
  K8S_DATABASE_REPLICA_URL: `mysql://crm_app:${password()}@crm.cluster-ro-c0ffee.eu-west-1.rds.amazonaws.com:3306/crm`,
  K8S_MIGRATE_DATABASE_URL: `mysql://crm_migrator:${password()}@${WRITER}:3306/crm`,
  K8S_DB_CA_BUNDLE: '-----BEGIN CERTIFICATE-----\nMIIEBjCCAu6gAwIBAgIJAMc0ZzaSUK51MA0GCSqGSIb3DQEBCwUA\n-----END CERTIFICATE-----\n',
  DB_EGRESS_CIDR: '10.0.32.0/20',
};
/** The managed deploy without the base's MySQL passwords, which it does not need. */
function managedEnv(env: Record<string, string>): Record<string, string> {
  const rest = Object.entries(env).filter(([name]) => !name.startsWith('K8S_MYSQL_'));
  return { ...Object.fromEntries(rest), ...MANAGED };
}

test('with K8S_OVERLAY=managed-database it deploys the overlay: no MySQL to wait for, the URLs and CA bundle it was given, egress to the database only', async (t) => {
  const s = setup(t);
  if (!s) return;
  const result = await s.box.run(scripts.deploy, managedEnv(s.env));
  assert.equal(result.code, 0, result.stderr);
  const job = `crm-migrate-${SHA}`;
  assert.deepEqual(commandsRun(s.box), deployCommands(job, { managed: true }));
  assert.match(result.stdout, /on the managed database \(overlays\/managed-database\)/);
  const [objects] = s.applied();
  assert.ok(objects);
  assert.deepEqual(ofKind(objects, 'StatefulSet'), []);
  assert.equal(generatedSecret(objects, 'crm-db'), undefined, 'the MySQL Secret was applied');
  const database = generatedSecret(objects, 'crm-database')!;
  assert.equal(decode(database, 'database-url'), MANAGED.K8S_DATABASE_URL);
  assert.equal(decode(database, 'database-replica-url'), MANAGED.K8S_DATABASE_REPLICA_URL);
  assert.equal(decode(database, 'migrate-database-url'), MANAGED.K8S_MIGRATE_DATABASE_URL);
  const ca = ofKind<IConfigMap>(objects, 'ConfigMap').find((x) => x.metadata!.name!.startsWith('crm-db-ca-'))!;
  assert.equal(ca.data?.['ca-bundle.pem'], MANAGED.K8S_DB_CA_BUNDLE);
  // The migration Job (the new image) migrates as the migrator, on the writer.
  const migrate = find<IJob>(objects, 'Job', job);
  assert.equal(migrate.spec!.template.spec!.containers[0]!.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef?.key, 'migrate-database-url');
  const egress = find<INetworkPolicy>(objects, 'NetworkPolicy', 'database-egress').spec!.egress!;
  assert.deepEqual(egress[1], { to: [{ ipBlock: { cidr: '10.0.32.0/20' } }], ports: [{ protocol: 'TCP', port: 3306 }] });
  assert.equal(egress.length, 2, 'only DNS and the database');
  const argv = s.box.calls().flatMap((c) => c.args).join(' ');
  for (const url of [MANAGED.K8S_DATABASE_URL, MANAGED.K8S_DATABASE_REPLICA_URL, MANAGED.K8S_MIGRATE_DATABASE_URL]) {
    const password = new URL(url).password;
    assert.ok(!argv.includes(password) && !`${result.stdout}${result.stderr}`.includes(password), 'a database password leaked');
  }
});

test('a PostgreSQL managed database without a port in its URL gets egress on 5432, and its readers are taken as the app takes them', async (t) => {
  const s = setup(t);
  if (!s) return;
  // Two readers written as an operator might: a blank after the comma, a trailing comma (the app trims and skips them).
  const readers = ` postgres://crm_app:${password()}@reader-1.internal/crm, postgres://crm_app:${password()}@reader-2.internal/crm,`;
  const pg = { K8S_DATABASE_URL: `postgres://crm_app:${password()}@${WRITER}/crm`, K8S_MIGRATE_DATABASE_URL: `postgresql://crm_migrator:${password()}@${WRITER}/crm`, K8S_DATABASE_REPLICA_URL: readers };
  const result = await s.box.run(scripts.deploy, { ...managedEnv(s.env), ...pg });
  assert.equal(result.code, 0, result.stderr);
  const [objects] = s.applied();
  const egress = find<INetworkPolicy>(objects!, 'NetworkPolicy', 'database-egress').spec!.egress!;
  assert.deepEqual(egress[1]!.ports, [{ protocol: 'TCP', port: 5432 }]);
  const database = generatedSecret(objects!, 'crm-database')!;
  assert.equal(decode(database, 'database-replica-url'), readers);
});

test('a managed database without a reader deploys with an empty DATABASE_REPLICA_URL: every read goes to the writer', async (t) => {
  const s = setup(t);
  if (!s) return;
  const withoutReader = Object.entries(managedEnv(s.env)).filter(([name]) => name !== 'K8S_DATABASE_REPLICA_URL');
  const result = await s.box.run(scripts.deploy, Object.fromEntries(withoutReader));
  assert.equal(result.code, 0, result.stderr);
  const database = generatedSecret(s.applied()[0]!, 'crm-database')!;
  assert.equal(decode(database, 'database-replica-url'), '');
});

test('a managed-database deploy with a placeholder, a mismatched URL, no CA certificate or no real CIDR is refused before kubectl runs', async (t) => {
  const example = (file: string) => fs.readFileSync(path.join(k8sDir, 'overlays', 'managed-database', file), 'utf8');
  const cases: [string, Record<string, string>, RegExp][] = [
    ['the committed example URL', { K8S_DATABASE_URL: example('secrets/database-url.example') },
      /overlays\/managed-database\/secrets\/database-url \(or K8S_DATABASE_URL\) is a placeholder \(it contains "change-me"\)/],
    ['no migrator URL', { K8S_MIGRATE_DATABASE_URL: '' }, /missing managed-database value\(s\): overlays\/managed-database\/secrets\/migrate-database-url \(or K8S_MIGRATE_DATABASE_URL\)/],
    ['the committed CA placeholder', { K8S_DB_CA_BUNDLE: example('db-ca/ca-bundle.pem.example') }, /ca-bundle\.pem \(or K8S_DB_CA_BUNDLE\) holds no PEM certificate/],
    ['an SQLite URL', { K8S_DATABASE_URL: 'sqlite:/data/crm.db' }, /is not mysql:\/\/USER:PASSWORD@HOST\[:PORT\]\/DATABASE/],
    ['a PostgreSQL reader for a MySQL writer', { K8S_DATABASE_REPLICA_URL: `postgres://crm_app:${password()}@reader.internal/crm` }, /name different engines \(mysql and postgres\)/],
    ['the migrator on the reader', { K8S_MIGRATE_DATABASE_URL: `mysql://crm_migrator:${password()}@crm.cluster-ro-c0ffee.eu-west-1.rds.amazonaws.com:3306/crm` },
      /names crm\.cluster-ro-c0ffee\.eu-west-1\.rds\.amazonaws\.com, not the writer crm\.cluster-c0ffee/],
    ['no CIDR', { DB_EGRESS_CIDR: '' }, /DB_EGRESS_CIDR is not set: give the database's subnets/],
    ['the placeholder CIDR', { DB_EGRESS_CIDR: '192.0.2.0/24' }, /DB_EGRESS_CIDR 192\.0\.2\.0\/24 is the documentation range/],
    ['a host name for a CIDR', { DB_EGRESS_CIDR: 'db.internal' }, /DB_EGRESS_CIDR 'db\.internal' is not an IPv4 CIDR/],
    ['a port that is not one', { DB_EGRESS_PORT: '33o6' }, /DB_EGRESS_PORT '33o6' is not a TCP port number/],
    ['an overlay that does not exist', { K8S_OVERLAY: 'cloud' }, /K8S_OVERLAY 'cloud' is not an overlay this script deploys/],
  ];
  for (const [what, extra, why] of cases) {
    const s = setup(t);
    if (!s) return;
    const result = await s.box.run(scripts.deploy, { ...managedEnv(s.env), ...extra });
    assert.notEqual(result.code, 0, what);
    assert.match(result.stderr, why, what);
    assert.ok(!s.box.calls().some((c) => c.args[0] === 'apply'), `${what}: something was applied`);
    assert.ok(!result.stderr.includes(new URL(MANAGED.K8S_DATABASE_URL).password), `${what}: a password was printed`);
  }
});
