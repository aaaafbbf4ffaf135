import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import { find, ofKind, renderManifests } from '../support/kustomize.js';
import { egressFrom, ingressTo, missingResources, podTemplates, restrictedViolations, selectorMatches } from '../support/workloads.js';

const KUBE_DNS = 'kubernetes.io/metadata.name=kube-system / k8s-app=kube-dns';

test('the outbox worker in k8s/manifest', async (t) => {
  const objects = await renderManifests(t);
  if (!objects) return;
  const worker = find<IDeployment>(objects, 'Deployment', 'worker');
  const web = find<IDeployment>(objects, 'Deployment', 'web');
  const labels = worker.spec!.template.metadata!.labels!;
  const pod = worker.spec!.template.spec!;
  const container = pod.containers[0]!;
  const webContainer = web.spec!.template.spec!.containers[0]!;
  const pods = podTemplates(objects);
  const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy');

  await t.test('runs node dist/cli/main.js worker on the web image, selected by its own pod labels', () => {
    assert.equal(pod.containers.length, 1);
    assert.deepEqual(container.command, ['node', 'dist/cli/main.js', 'worker']);
    assert.equal(container.image, webContainer.image);
    assert.ok(selectorMatches(worker.spec!.selector, labels));
    assert.equal(labels['app.kubernetes.io/name'], 'globomantics-crm');
    // deploy_k8s.sh applies it only after the migrations, with web.
    assert.equal(labels['app.kubernetes.io/component'], 'worker');
    assert.ok((worker.spec!.replicas ?? 1) >= 1);
    assert.equal(worker.spec!.strategy?.rollingUpdate?.maxUnavailable, 0, 'a rollout may leave no worker running');
  });

  await t.test('has no Service, no port and no HTTP or TCP probe: it serves nothing', () => {
    for (const svc of ofKind<IService>(objects, 'Service')) {
      assert.ok(!selectorMatches({ matchLabels: svc.spec?.selector ?? { none: 'none' } }, labels), `Service ${svc.metadata?.name} selects the worker`);
    }
    assert.equal(container.ports, undefined);
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      assert.equal(probe?.httpGet, undefined);
      assert.equal(probe?.tcpSocket, undefined);
    }
    // Not scaled or guarded like web: no HPA or PodDisruptionBudget is about it.
    assert.ok(!ofKind(objects, 'HorizontalPodAutoscaler').some((h) => (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === 'worker'));
  });

  await t.test('passes the restricted Pod Security checks as the node user, like web, with requests and limits', () => {
    const template = pods.find((p) => p.owner === 'Deployment/worker')!;
    assert.deepEqual(restrictedViolations(template), []);
    assert.deepEqual(missingResources(template), []);
    assert.deepEqual(pod.securityContext, web.spec!.template.spec!.securityContext);
    assert.deepEqual(container.securityContext, webContainer.securityContext);
  });

  await t.test('gets the database and session secrets as web does, SMTP_URL from the Secret crm-smtp, the mail settings from crm-mail', () => {
    const refs = (c: typeof container) => new Map((c.env ?? []).filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom?.secretKeyRef]));
    const mine = refs(container);
    const webs = refs(webContainer);
    for (const name of ['DATABASE_PASSWORD', 'SESSION_SECRET', 'SMTP_URL']) {
      assert.ok(mine.get(name), `${name} is not from a Secret`);
      assert.deepEqual(mine.get(name), webs.get(name), `${name} differs from web's`);
    }
    assert.match(mine.get('SMTP_URL')?.name ?? '', /^crm-smtp-/);
    assert.equal(mine.get('SMTP_URL')?.key, 'smtp-url');
    assert.deepEqual(container.envFrom, webContainer.envFrom);
    const mail = ofKind<IConfigMap>(objects, 'ConfigMap').find((c) => c.metadata?.name?.startsWith('crm-mail-'));
    assert.ok(mail && container.envFrom?.some((f) => f.configMapRef?.name === mail.metadata?.name), 'the worker has no crm-mail ConfigMap');
    assert.deepEqual(Object.keys(mail.data ?? {}).sort(), ['MAIL_FROM', 'PUBLIC_BASE_URL', 'REMINDERS_AT', 'SMTP_REQUIRE_TLS']);
    assert.equal(mail.data?.SMTP_REQUIRE_TLS, 'true');
    // As in the app: no daily reminders until the operator chooses a time (deploy_k8s.sh REMINDERS_AT).
    assert.equal(mail.data?.REMINDERS_AT, '');
    assert.equal(container.env?.find((e) => e.name === 'REMINDERS_AT'), undefined);
  });

  await t.test('gets nothing it has no use for: no TLS files, bootstrap admin, Redis or migrations on start', () => {
    const names = (container.env ?? []).map((e) => e.name);
    for (const name of ['REDIS_URL', 'CRM_BOOTSTRAP_ADMIN_FILE', 'MIGRATE_ON_START']) assert.ok(!names.includes(name), name);
    assert.deepEqual((pod.volumes ?? []).map((v) => v.name), ['tmp']);
  });

  await t.test('admits no connection at all', () => {
    assert.deepEqual(ingressTo(labels, policies, pods), { owners: [], ports: [], wider: [] });
  });

  await t.test('may connect only to DNS, to MySQL on 3306 and to SMTP servers on 587, 465 and 25', () => {
    assert.deepEqual(egressFrom(labels, policies, pods), [
      { to: KUBE_DNS, ports: ['UDP/53', 'TCP/53'] },
      { to: 'StatefulSet/db', ports: ['TCP/3306'] },
      { to: 'ipBlock 0.0.0.0/0', ports: ['TCP/587', 'TCP/465', 'TCP/25'] },
    ]);
  });

  await t.test('MySQL admits the worker on 3306, Redis does not', () => {
    const db = find<{ spec: { template: { metadata: { labels: Record<string, string> } } } }>(objects, 'StatefulSet', 'db');
    const toDb = ingressTo(db.spec.template.metadata.labels, policies, pods);
    assert.ok(toDb.owners.includes('Deployment/worker'));
    assert.deepEqual(toDb.ports, ['TCP/3306']);
    const redis = find<IDeployment>(objects, 'Deployment', 'redis');
    assert.ok(!ingressTo(redis.spec!.template.metadata!.labels!, policies, pods).owners.includes('Deployment/worker'));
  });

  await t.test('the egress check notices a rule that opens the worker to more', () => {
    const open: INetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'too-open' },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'worker' } }, policyTypes: ['Egress'], egress: [{}, { to: [{ podSelector: {} }] }] },
    };
    const seen = egressFrom(labels, [...policies, open], pods) ?? [];
    assert.deepEqual(seen.slice(-2).map((p) => [p.to, p.ports]), [['anywhere', ['any']], [pods.map((p) => p.owner).sort().join(' '), ['any']]]);
    const ingressOnly = policies.map((np): INetworkPolicy => ({ ...np, spec: { ...np.spec!, policyTypes: ['Ingress'] } }));
    assert.equal(egressFrom(labels, ingressOnly, pods), undefined, 'policies without the Egress type restrict no egress');
  });
});
