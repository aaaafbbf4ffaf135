import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { assertPlaceholdersOnly, find, ofKind, renderManifests } from '../support/kustomize.js';
import { k8sDir } from '../support/paths.js';
import { validateObject } from '../support/schema.js';
import { requireTool } from '../support/tools.js';
import { egressFrom, ingressTo, missingResources, podTemplates, restrictedViolations } from '../support/workloads.js';

const OVERLAY = 'overlays/managed-database';
const overlayDir = path.join(k8sDir, OVERLAY);
const KUBE_DNS = 'kubernetes.io/metadata.name=kube-system / k8s-app=kube-dns';
const NAMESPACE = 'globomantics-crm';

test('the managed-database overlay in k8s/overlays/managed-database', async (t) => {
  const objects = await renderManifests(t, OVERLAY);
  if (!objects) return;
  const pods = podTemplates(objects);
  const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy');
  const web = find<IDeployment>(objects, 'Deployment', 'web').spec!.template;
  const worker = find<IDeployment>(objects, 'Deployment', 'worker').spec!.template;
  const job = find<IJob>(objects, 'Job', 'crm-migrate').spec!.template;
  const app: [string, IPodTemplateSpec][] = [
    ['web', web],
    ['worker', worker],
    ['migration Job', job],
  ];
  const secretOf = (c: IContainer, name: string) => c.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
  const secret = ofKind<ISecret>(objects, 'Secret').find((s) => s.metadata?.name?.startsWith('crm-database-'));
  const caMap = ofKind<IConfigMap>(objects, 'ConfigMap').find((c) => c.metadata?.name?.startsWith('crm-db-ca-'));

  await t.test('renders objects that all validate against the Kubernetes schemas, in the namespace, with the recommended labels', async () => {
    for (const obj of objects) await validateObject(obj);
    for (const o of objects.filter((o) => o.kind !== 'Namespace')) {
      assert.equal(o.metadata.namespace, NAMESPACE, `${o.kind}/${o.metadata.name}`);
      assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'globomantics-crm', `${o.kind}/${o.metadata.name}`);
    }
  });

  await t.test('runs no MySQL: no StatefulSet, volume claim, db Service, db policy, MySQL Secret or mysql image, nothing naming db:3306', () => {
    assert.deepEqual(ofKind(objects, 'StatefulSet'), []);
    assert.deepEqual(ofKind(objects, 'PersistentVolumeClaim'), []);
    assert.deepEqual(pods.map((p) => p.owner).sort(), ['Deployment/redis', 'Deployment/web', 'Deployment/worker', 'Job/crm-migrate']);
    assert.ok(!pods.some((p) => p.spec.containers.some((c) => /mysql|mariadb/.test(c.image ?? ''))), 'a pod runs a MySQL image');
    const mysqlObjects = objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'mysql' || o.metadata.name === 'db' || o.metadata.name.startsWith('crm-db-') && o.kind === 'Secret');
    assert.deepEqual(mysqlObjects.map((o) => `${o.kind}/${o.metadata.name}`), []);
    const text = JSON.stringify(objects);
    assert.doesNotMatch(text, /\bdb:3306|mysql-password|mysql-root-password|DATABASE_PASSWORD/);
    for (const c of ofKind<IConfigMap>(objects, 'ConfigMap')) assert.equal(c.data?.DATABASE_URL, undefined, `ConfigMap ${c.metadata?.name} sets DATABASE_URL`);
  });

  await t.test('web and the worker take DATABASE_URL (writer) and DATABASE_REPLICA_URL (reader) from the Secret; the migration Job the migrator on the writer, no replica', () => {
    assert.ok(secret, 'no crm-database Secret');
    assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ['database-replica-url', 'database-url', 'migrate-database-url']);
    const url = (key: string) => new URL(Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8'));
    for (const [what, template] of [['web', web], ['worker', worker]] as const) {
      const container = template.spec!.containers[0]!;
      assert.deepEqual(secretOf(container, 'DATABASE_URL'), { name: secret.metadata!.name, key: 'database-url' }, what);
      assert.deepEqual(secretOf(container, 'DATABASE_REPLICA_URL'), { name: secret.metadata!.name, key: 'database-replica-url' }, what);
    }
    const migrate = job.spec!.containers[0]!;
    assert.deepEqual(secretOf(migrate, 'DATABASE_URL'), { name: secret.metadata!.name, key: 'migrate-database-url' });
    assert.equal(migrate.env?.find((e) => e.name === 'DATABASE_REPLICA_URL'), undefined);
    // The examples show the shape: Aurora's writer (cluster-) and reader (cluster-ro-) endpoints, the migrator a user of its own.
    assert.equal(url('migrate-database-url').hostname, url('database-url').hostname);
    assert.notEqual(url('database-replica-url').hostname, url('database-url').hostname);
    assert.notEqual(url('migrate-database-url').username, url('database-url').username);
  });

  await t.test("every pod that talks to the database verifies it against the CA bundle mounted read-only from the ConfigMap crm-db-ca", () => {
    assert.ok(caMap, 'no crm-db-ca ConfigMap');
    for (const [what, template] of app) {
      const spec = template.spec!;
      const container = spec.containers[0]!;
      const file = container.env?.find((e) => e.name === 'DATABASE_CA_FILE')?.value ?? '';
      const volumeName: string | undefined = spec.volumes?.find((v) => v.configMap?.name === caMap.metadata?.name)?.name;
      assert.ok(volumeName, `${what} does not mount crm-db-ca`);
      const mount: IVolumeMount | undefined = container.volumeMounts?.find((m) => m.name === volumeName);
      assert.equal(mount?.readOnly, true, what);
      assert.equal(path.posix.dirname(file), mount?.mountPath, `${what}: DATABASE_CA_FILE ${file} is not in the mounted bundle`);
      assert.ok(Object.keys(caMap.data ?? {}).includes(path.posix.basename(file)), `${what}: ${file} is not a key of crm-db-ca`);
    }
  });

  await t.test('the committed CA bundle is a placeholder that the app refuses, not a certificate', () => {
    const placeholder = caMap?.data?.['ca-bundle.pem'] ?? '';
    assert.doesNotMatch(placeholder, /BEGIN CERTIFICATE/);
    assert.match(placeholder, /https:\/\/truststore\.pki\.rds\.amazonaws\.com\/global\/global-bundle\.pem/);
  });

  await t.test('keeps every pod under the restricted profile with requests and limits', () => {
    assert.deepEqual(pods.flatMap(restrictedViolations), []);
    assert.deepEqual(pods.flatMap(missingResources), []);
  });

  await t.test('lets web, the worker and the Job reach only DNS and the database CIDR on its port (web also Redis, the worker SMTP)', () => {
    const database = { to: 'ipBlock 192.0.2.0/24', ports: ['TCP/3306'] };
    const dns = { to: KUBE_DNS, ports: ['UDP/53', 'TCP/53'] };
    const sorted = (peers: { to: string; ports: string[] }[] | undefined) => [...(peers ?? [])].sort((a, b) => a.to.localeCompare(b.to));
    const labels = (template: IPodTemplateSpec) => template.metadata!.labels!;
    assert.deepEqual(sorted(egressFrom(labels(web), policies, pods)), sorted([dns, database, { to: 'Deployment/redis', ports: ['TCP/6379'] }]));
    assert.deepEqual(sorted(egressFrom(labels(worker), policies, pods)), sorted([dns, database, { to: 'ipBlock 0.0.0.0/0', ports: ['TCP/587', 'TCP/465', 'TCP/25'] }]));
    assert.deepEqual(sorted(egressFrom(labels(job), policies, pods)), sorted([dns, database]));
    // Ingress is as in the base: Redis admits web only.
    const redis = find<IDeployment>(objects, 'Deployment', 'redis').spec!.template.metadata!.labels!;
    assert.deepEqual(ingressTo(redis, policies, pods), { owners: ['Deployment/web'], ports: ['TCP/6379'], wider: [] });
    assert.ok(policies.some((np) => np.metadata?.name === 'default-deny-ingress'));
  });

  await t.test('the egress check notices a pod of the app that could reach anything', () => {
    const open: INetworkPolicy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'too-open' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] } };
    assert.deepEqual(egressFrom(job.metadata!.labels!, [...policies, open], pods)?.at(-1), { to: 'anywhere', ports: ['any'] });
  });

  await t.test('takes secret values only from git-ignored files with committed *.example placeholders, as the base does', (st) => {
    if (!requireTool(st, 'git')) return;
    const kustomization = parse(fs.readFileSync(path.join(overlayDir, 'kustomization.yaml'), 'utf8')) as {
      secretGenerator: { name: string; files?: string[]; literals?: string[]; envs?: string[] }[];
      configMapGenerator: { files?: string[] }[];
      resources: string[];
    };
    const files = [...kustomization.secretGenerator, ...kustomization.configMapGenerator].flatMap((g) => (g.files ?? []).map((f) => f.split('=').pop()!));
    assert.ok(files.length >= 4);
    for (const g of kustomization.secretGenerator) assert.deepEqual([g.literals, g.envs], [undefined, undefined], g.name);
    assertPlaceholdersOnly(overlayDir, files);
    for (const key of ['database-url', 'database-replica-url', 'migrate-database-url']) {
      assert.match(fs.readFileSync(path.join(overlayDir, 'secrets', `${key}.example`), 'utf8'), /change-me/, `${key}.example is not an obvious placeholder`);
    }
  });
});
