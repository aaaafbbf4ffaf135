import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import { find, ofKind, renderManifests } from '../support/kustomize.js';
import { allContainers, ingressTo, missingResources, podTemplates, resolvePort, restrictedViolations, selectorMatches } from '../support/workloads.js';

test('Redis for the rate-limit counters in k8s/manifest', async (t) => {
  const objects = await renderManifests(t);
  if (!objects) return;
  const redis = find<IDeployment>(objects, 'Deployment', 'redis');
  const redisLabels = redis.spec!.template.metadata!.labels!;
  const redisPod = redis.spec!.template.spec!;
  const container = redisPod.containers[0]!;
  const service = find<IService>(objects, 'Service', 'redis');
  const pods = podTemplates(objects);
  const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy');

  await t.test('runs one replica of the official redis:7 image, selected by its own pod labels', () => {
    assert.equal(redis.spec!.replicas, 1);
    assert.match(container.image ?? '', /^redis:7(\.|-|$)/);
    assert.ok(selectorMatches(redis.spec!.selector, redisLabels));
    assert.equal(redisLabels['app.kubernetes.io/name'], 'redis');
    // deploy_k8s.sh applies component!=web first and waits for redis before web.
    assert.notEqual(redisLabels['app.kubernetes.io/component'], 'web');
  });

  await t.test('is reached through the ClusterIP Service redis on 6379, which selects only the redis pods', () => {
    assert.equal(service.spec?.type ?? 'ClusterIP', 'ClusterIP');
    assert.notEqual(service.spec?.clusterIP, 'None');
    const ports = service.spec!.ports ?? [];
    assert.deepEqual(ports.map((p) => p.port), [6379]);
    assert.equal(resolvePort([container], ports[0]!.targetPort)?.containerPort, 6379);
    const backends = pods.filter((p) => selectorMatches({ matchLabels: service.spec!.selector }, p.labels));
    assert.deepEqual(backends.map((p) => p.owner), ['Deployment/redis']);
  });

  await t.test('keeps nothing: no snapshots, no append-only file, /data on an emptyDir and no volume claim', () => {
    const args = [...(container.command ?? []), ...(container.args ?? [])];
    const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
    assert.equal(value('--save'), '');
    assert.equal(value('--appendonly'), 'no');
    const data = container.volumeMounts?.find((m) => m.mountPath === '/data');
    assert.ok(redisPod.volumes?.find((v) => v.name === data?.name)?.emptyDir, '/data is not an emptyDir');
    assert.ok(!redisPod.volumes?.some((v) => v.persistentVolumeClaim), 'redis mounts a PersistentVolumeClaim');
  });

  await t.test('passes the same restricted Pod Security checks as web, as a fixed non-root uid, with requests and limits', () => {
    const pod = pods.find((p) => p.owner === 'Deployment/redis')!;
    assert.deepEqual(restrictedViolations(pod), []);
    assert.deepEqual(missingResources(pod), []);
    // The image declares no USER (its entrypoint drops root), so runAsNonRoot needs a numeric uid here.
    const uid = container.securityContext?.runAsUser ?? redisPod.securityContext?.runAsUser;
    assert.ok(typeof uid === 'number' && uid > 0, `runAsUser is ${uid}`);
  });

  await t.test('is ready only when redis-cli ping answers PONG, and live while the Redis port accepts', () => {
    const ready = container.readinessProbe?.exec?.command?.join(' ') ?? '';
    assert.match(ready, /redis-cli ping/);
    assert.match(ready, /PONG/);
    const live = container.livenessProbe;
    const liveCommand = live?.exec?.command?.join(' ') ?? '';
    assert.ok(
      resolvePort([container], live?.tcpSocket?.port)?.containerPort === 6379 || /redis-cli ping/.test(liveCommand),
      'livenessProbe is neither a tcpSocket on 6379 nor redis-cli ping',
    );
  });

  await t.test('sets REDIS_URL=redis://redis:6379 on the web Deployment and on nothing else', () => {
    const web = find<IDeployment>(objects, 'Deployment', 'web');
    const webEnv = web.spec!.template.spec!.containers[0]!.env ?? [];
    const value = webEnv.find((e) => e.name === 'REDIS_URL')?.value ?? '';
    assert.equal(value, 'redis://redis:6379');
    const url = new URL(value);
    assert.equal(url.hostname, service.metadata!.name);
    assert.ok(service.spec!.ports!.some((p) => p.port === Number(url.port)));
    const elsewhere = pods
      .filter((p) => p.owner !== 'Deployment/web')
      .flatMap((p) => allContainers(p.spec).flatMap((c) => (c.env ?? []).map((e) => `${p.owner}/${c.name}: ${e.name}`)))
      .filter((line) => line.endsWith(': REDIS_URL'));
    assert.deepEqual(elsewhere, []);
    for (const cm of ofKind<IConfigMap>(objects, 'ConfigMap')) assert.ok(!('REDIS_URL' in (cm.data ?? {})), `ConfigMap ${cm.metadata?.name} sets REDIS_URL`);
  });

  await t.test('admits only the web pods, on TCP 6379, and nothing else', () => {
    assert.deepEqual(ingressTo(redisLabels, policies, pods), { owners: ['Deployment/web'], ports: ['TCP/6379'], wider: [] });
  });

  await t.test('the ingress check notices a policy that opens redis to more than web', () => {
    const open: INetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'too-open' },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } }, ingress: [{ from: [{ podSelector: {} }, { ipBlock: { cidr: '0.0.0.0/0' } }] }] },
    };
    const seen = ingressTo(redisLabels, [...policies, open], pods);
    assert.deepEqual(seen.owners, pods.map((p) => p.owner).sort());
    assert.ok(seen.ports.includes('any'));
    assert.deepEqual(seen.wider, ['too-open rule 0 admits ipBlock 0.0.0.0/0']);
    assert.deepEqual(ingressTo(redisLabels, [], pods).wider, ['no NetworkPolicy selects these pods']);
  });
});
