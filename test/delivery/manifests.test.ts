import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { find, ofKind, renderManifests } from '../support/kustomize.js';
import { manifestDir } from '../support/paths.js';
import { validateObject } from '../support/schema.js';
import { allContainers, labelOf, missingResources, podTemplates, resolvePort, restrictedViolations, selectorMatches } from '../support/workloads.js';

const NAMESPACE = 'globomantics-crm';

test('the kustomize base in k8s/manifest', async (t) => {
  const objects = await renderManifests(t);
  if (!objects) return;
  const web = find<IDeployment>(objects, 'Deployment', 'web');
  const webPod = web.spec!.template.spec!;
  const webContainer = webPod.containers[0]!;
  const db = find<IStatefulSet>(objects, 'StatefulSet', 'db');
  const pods = podTemplates(objects);

  await t.test('renders objects that all validate against the Kubernetes schemas', async () => {
    assert.ok(objects.length >= 10, `only ${objects.length} objects rendered`);
    for (const obj of objects) await validateObject(obj);
  });

  await t.test('puts everything in a namespace that enforces the restricted Pod Security profile', () => {
    const ns = find(objects, 'Namespace', NAMESPACE);
    assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    for (const o of objects.filter((o) => o.kind !== 'Namespace')) {
      assert.equal(o.metadata.namespace, NAMESPACE, `${o.kind}/${o.metadata.name}`);
    }
  });

  await t.test('labels every object and pod with the recommended app.kubernetes.io labels', () => {
    const common = ['part-of', 'instance', 'managed-by'].map((k) => `app.kubernetes.io/${k}`);
    for (const o of objects) {
      for (const key of common) assert.ok(labelOf(o.metadata.labels, key), `${o.kind}/${o.metadata.name} lacks ${key}`);
    }
    for (const p of pods) {
      for (const key of [...common, 'app.kubernetes.io/name', 'app.kubernetes.io/component']) {
        assert.ok(labelOf(p.labels, key), `${p.owner} pod template lacks ${key}`);
      }
    }
    assert.equal(db.metadata?.labels?.['app.kubernetes.io/version'], '8.4');
  });

  await t.test('runs web with at least 2 replicas and a rolling update that never drops below them', () => {
    assert.ok((web.spec!.replicas ?? 1) >= 2);
    assert.equal(web.spec!.strategy?.type, 'RollingUpdate');
    assert.equal(web.spec!.strategy?.rollingUpdate?.maxUnavailable, 0);
  });

  await t.test('has no bare Pods and every workload selector matches its own pod template', () => {
    assert.deepEqual(ofKind(objects, 'Pod'), []);
    for (const w of [web, db, find<IDeployment>(objects, 'Deployment', 'redis'), find<IDeployment>(objects, 'Deployment', 'worker')]) {
      const labels = w.spec!.template.metadata?.labels;
      assert.ok(selectorMatches(w.spec!.selector, labels), `${w.kind}/${w.metadata?.name}`);
    }
  });

  await t.test('exposes web on NodePort 30001, targeting the HTTPS container port 5000 of the web pods', () => {
    const svc = find<IService>(objects, 'Service', 'web');
    assert.equal(svc.spec?.type, 'NodePort');
    const port = svc.spec.ports![0]!;
    assert.equal(port.nodePort, 30001);
    const backends = pods.filter((p) => selectorMatches({ matchLabels: svc.spec!.selector }, p.labels));
    assert.deepEqual(backends.map((p) => p.owner), ['Deployment/web']);
    assert.equal(resolvePort(webPod.containers, port.targetPort)?.containerPort, 5000);
  });

  await t.test('keeps MySQL in a StatefulSet on a PersistentVolumeClaim behind the headless Service db', () => {
    const svc = find<IService>(objects, 'Service', 'db');
    assert.equal(svc.spec?.clusterIP, 'None');
    assert.equal(db.spec!.serviceName, 'db');
    assert.ok(selectorMatches({ matchLabels: svc.spec.selector }, db.spec!.template.metadata?.labels));
    const mysql = db.spec!.template.spec!.containers[0]!;
    assert.match(mysql.image ?? '', /^mysql:8\.4/);
    assert.equal(resolvePort([mysql], svc.spec.ports![0]!.targetPort)?.containerPort, 3306);
    const claim = db.spec!.volumeClaimTemplates?.[0];
    assert.ok(claim, 'no volumeClaimTemplates');
    const dataMount = mysql.volumeMounts?.find((m) => m.name === claim.metadata?.name);
    assert.equal(dataMount?.mountPath, '/var/lib/mysql');
  });

  await t.test('probes /healthz (startup, liveness) and /readyz (readiness) over HTTPS on the container port', () => {
    const probes = [
      ['startupProbe', webContainer.startupProbe, '/healthz'],
      ['livenessProbe', webContainer.livenessProbe, '/healthz'],
      ['readinessProbe', webContainer.readinessProbe, '/readyz'],
    ] as const;
    for (const [kind, probe, path] of probes) {
      const get = probe?.httpGet;
      assert.equal(get?.path, path, kind);
      assert.equal(get?.scheme, 'HTTPS', kind);
      assert.equal(resolvePort([webContainer], get?.port)?.containerPort, 5000, kind);
    }
  });

  await t.test('runs every pod under the restricted profile with a read-only root filesystem', () => {
    assert.deepEqual(pods.map((p) => p.owner).sort(), ['Deployment/redis', 'Deployment/web', 'Deployment/worker', 'Job/crm-migrate', 'StatefulSet/db']);
    assert.deepEqual(pods.flatMap(restrictedViolations), []);
    const dbSecurity = db.spec!.template.spec!.securityContext;
    assert.equal(dbSecurity?.runAsUser, 999);
    assert.equal(dbSecurity?.fsGroup, 999);
    assert.equal(webPod.securityContext?.runAsUser, 1000);
  });

  await t.test('the restricted-profile and resources checks report each weakened setting', () => {
    const weakened = structuredClone(pods.find((p) => p.owner === 'Deployment/web')!);
    const container = weakened.spec.containers[0]!;
    container.securityContext = { ...container.securityContext, runAsUser: 0, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, capabilities: { add: ['NET_ADMIN'] } };
    container.resources = { requests: { cpu: '1' } };
    weakened.spec.automountServiceAccountToken = true;
    weakened.spec.hostNetwork = true;
    assert.deepEqual(restrictedViolations(weakened), [
      'Deployment/web: automountServiceAccountToken is not false',
      'Deployment/web: shares a host namespace',
      'Deployment/web: container web runs as uid 0',
      'Deployment/web: container web allowPrivilegeEscalation is not false',
      'Deployment/web: container web does not drop ALL capabilities',
      'Deployment/web: container web root filesystem is not read-only',
    ]);
    assert.deepEqual(missingResources(weakened), ['requests.memory', 'limits.cpu', 'limits.memory'].map((r) => `Deployment/web/web lacks resources.${r}`));
  });

  await t.test('gives every container cpu and memory requests and limits', () => {
    assert.deepEqual(pods.flatMap(missingResources), []);
  });

  await t.test('only references Secrets, ConfigMaps, keys and ServiceAccounts that exist in the output', () => {
    const secrets = new Map(ofKind<ISecret>(objects, 'Secret').map((s) => [s.metadata!.name!, s]));
    const configMaps = new Map(ofKind<IConfigMap>(objects, 'ConfigMap').map((c) => [c.metadata!.name!, c]));
    const accounts = new Set(ofKind<IServiceAccount>(objects, 'ServiceAccount').map((a) => a.metadata!.name!));
    const keysOf = (o: ISecret | IConfigMap | undefined) => new Set(Object.keys({ ...o?.data, ...(o as ISecret | undefined)?.stringData }));
    let checked = 0;
    for (const { owner, spec } of pods) {
      assert.ok(accounts.has(spec.serviceAccountName ?? ''), `${owner} uses unknown ServiceAccount ${spec.serviceAccountName}`);
      for (const c of allContainers(spec)) {
        for (const e of c.env ?? []) {
          const s = e.valueFrom?.secretKeyRef;
          const m = e.valueFrom?.configMapKeyRef;
          if (s) assert.ok(keysOf(secrets.get(s.name!)).has(s.key), `${owner} env ${e.name}: Secret ${s.name} key ${s.key}`);
          if (m) assert.ok(keysOf(configMaps.get(m.name!)).has(m.key), `${owner} env ${e.name}: ConfigMap ${m.name} key ${m.key}`);
          if (s || m) checked++;
        }
        for (const from of c.envFrom ?? []) {
          if (from.secretRef) assert.ok(secrets.has(from.secretRef.name!), `${owner} envFrom Secret ${from.secretRef.name}`);
          if (from.configMapRef) assert.ok(configMaps.has(from.configMapRef.name!), `${owner} envFrom ConfigMap ${from.configMapRef.name}`);
          checked++;
        }
      }
      for (const v of spec.volumes ?? []) {
        const ref = v.secret ? keysOf(secrets.get(v.secret.secretName!)) : v.configMap ? keysOf(configMaps.get(v.configMap.name!)) : undefined;
        if (!ref) continue;
        assert.ok(ref.size > 0, `${owner} volume ${v.name} refers to a missing or empty Secret/ConfigMap`);
        for (const item of v.secret?.items ?? v.configMap?.items ?? []) assert.ok(ref.has(item.key), `${owner} volume ${v.name} key ${item.key}`);
        checked++;
      }
    }
    assert.ok(checked >= 8, `only ${checked} references found`);
    const tls = [...secrets.values()].find((s) => s.type === 'kubernetes.io/tls');
    assert.deepEqual(Object.keys(tls?.data ?? {}).sort(), ['tls.crt', 'tls.key']);
  });

  await t.test('configures web for production: TLS from the mounted Secret, secrets from Secrets, no migrations on start', () => {
    const config = ofKind<IConfigMap>(objects, 'ConfigMap').find((c) => c.metadata?.name === webContainer.envFrom?.[0]?.configMapRef?.name);
    const value = new Map(Object.entries(config?.data ?? {}));
    const fromSecret = new Set<string>();
    for (const e of webContainer.env ?? []) {
      if (e.value !== undefined) value.set(e.name, e.value);
      if (e.valueFrom?.secretKeyRef) fromSecret.add(e.name);
    }
    assert.equal(value.get('NODE_ENV'), 'production');
    assert.equal(value.get('MIGRATE_ON_START'), 'false');
    assert.equal(value.get('DATABASE_URL'), 'mysql://crm@db:3306/crm');
    assert.ok(fromSecret.has('DATABASE_PASSWORD'), 'DATABASE_PASSWORD not from a Secret');
    assert.ok(fromSecret.has('SESSION_SECRET'), 'SESSION_SECRET not from a Secret');
    const tlsVolume = webPod.volumes?.find((v) => v.secret?.secretName?.startsWith('crm-tls'));
    const mount = webContainer.volumeMounts?.find((m) => m.name === tlsVolume?.name);
    assert.equal(mount?.readOnly, true);
    assert.equal(value.get('TLS_CERT_FILE'), `${mount?.mountPath}/tls.crt`);
    assert.equal(value.get('TLS_KEY_FILE'), `${mount?.mountPath}/tls.key`);
  });

  await t.test('mounts the bootstrap-admin Secret read-only into web only, and CRM_BOOTSTRAP_ADMIN_FILE names the file in it', () => {
    const secrets = ofKind<ISecret>(objects, 'Secret').filter((s) => s.metadata?.name?.startsWith('crm-bootstrap-admin-'));
    assert.equal(secrets.length, 1, 'one Secret generated from secrets/bootstrap-admin');
    const secret = secrets[0]!;
    assert.deepEqual(Object.keys(secret.data ?? {}), ['bootstrap-admin']);
    // renderManifests fills the secret files from their *.example twins.
    const example = fs.readFileSync(path.join(manifestDir, 'secrets', 'bootstrap-admin.example'), 'utf8');
    assert.equal(Buffer.from(secret.data?.['bootstrap-admin'] ?? '', 'base64').toString('utf8'), example);

    const volume = webPod.volumes?.find((v) => v.secret?.secretName === secret.metadata?.name);
    assert.ok(volume, 'web has no volume from the bootstrap-admin Secret');
    // Root-owned, group fsGroup: readable by the node user (1000:1000), by no one else.
    assert.equal(volume.secret?.defaultMode, 0o440);
    assert.equal(webPod.securityContext?.fsGroup, webPod.securityContext?.runAsGroup);
    const mounts = webContainer.volumeMounts?.filter((m) => m.name === volume.name) ?? [];
    assert.equal(mounts.length, 1);
    assert.equal(mounts[0]!.readOnly, true);
    const file = volume.secret?.items?.find((i) => i.key === 'bootstrap-admin')?.path ?? 'bootstrap-admin';
    const env = webContainer.env?.find((e) => e.name === 'CRM_BOOTSTRAP_ADMIN_FILE');
    assert.equal(env?.value, path.posix.join(mounts[0]!.mountPath, file));

    // No other pod mounts it; the path is not in a ConfigMap the migration Job shares.
    const others = pods.filter((p) => p.owner !== 'Deployment/web');
    for (const p of others) {
      assert.ok(!(p.spec.volumes ?? []).some((v) => v.secret?.secretName === secret.metadata?.name), `${p.owner} mounts the bootstrap admin`);
      for (const c of allContainers(p.spec)) assert.ok(!(c.env ?? []).some((e) => e.name === 'CRM_BOOTSTRAP_ADMIN_FILE'), `${p.owner} gets CRM_BOOTSTRAP_ADMIN_FILE`);
    }
    for (const c of ofKind<IConfigMap>(objects, 'ConfigMap')) assert.equal(c.data?.CRM_BOOTSTRAP_ADMIN_FILE, undefined, `ConfigMap ${c.metadata?.name}`);
  });

  await t.test('sets the rate limits and the public lookup on web, to the documented defaults', () => {
    const env = new Map((webContainer.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.get('LOOKUP_RATE_LIMIT'), '60');
    assert.equal(env.get('LOGIN_RATE_LIMIT'), '10');
    assert.equal(env.get('API_RATE_LIMIT'), '600');
    assert.equal(env.get('CRM_PUBLIC_LOOKUP'), 'true');
  });

  await t.test('migrates with a one-shot Job running node dist/cli/migrate.js on the web image', () => {
    const jobs = ofKind<IJob>(objects, 'Job');
    assert.equal(jobs.length, 1);
    const job = jobs[0]!;
    const pod = job.spec!.template.spec!;
    assert.deepEqual(pod.containers[0]!.command, ['node', 'dist/cli/migrate.js']);
    assert.equal(pod.containers[0]!.image, webContainer.image);
    assert.equal(pod.restartPolicy, 'Never');
    assert.ok((job.spec!.backoffLimit ?? 6) <= 3);
    assert.ok(job.spec!.activeDeadlineSeconds, 'no activeDeadlineSeconds');
    assert.equal(ofKind(objects, 'Deployment').flatMap((d) => (d.spec as IDeployment['spec'])!.template.spec!.initContainers ?? []).length, 0);
  });

  await t.test('scales web with an autoscaling/v2 HPA and protects it with a PodDisruptionBudget', () => {
    const hpas = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
    assert.equal(hpas.length, 1);
    const hpa = hpas[0]!;
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    const target = hpa.spec!.scaleTargetRef;
    assert.equal(find<IDeployment>(objects, target.kind, target.name).apiVersion, target.apiVersion);
    assert.ok((hpa.spec!.minReplicas ?? 1) >= 2 && hpa.spec!.maxReplicas > hpa.spec!.minReplicas!);
    const pdbs = ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
    assert.equal(pdbs.length, 1);
    const covered = pods.filter((p) => selectorMatches(pdbs[0]!.spec!.selector ?? {}, p.labels));
    assert.deepEqual(covered.map((p) => p.owner), ['Deployment/web']);
  });

  await t.test('lets only web, the outbox worker and the migration Job reach db on 3306, with policies selecting real pods', () => {
    const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy');
    for (const np of policies) {
      const selected = pods.filter((p) => selectorMatches(np.spec!.podSelector, p.labels));
      assert.ok(selected.length > 0, `NetworkPolicy ${np.metadata?.name} selects no pods`);
    }
    const defaultDeny = policies.find((np) => Object.keys(np.spec!.podSelector ?? {}).length === 0);
    assert.deepEqual(defaultDeny?.spec?.ingress ?? [], [], 'no default-deny ingress policy');
    const dbPolicies = policies.filter((np) => np !== defaultDeny && selectorMatches(np.spec!.podSelector, db.spec!.template.metadata?.labels));
    assert.equal(dbPolicies.length, 1);
    const rules = dbPolicies[0]!.spec!.ingress ?? [];
    const allowed = pods.filter((p) => rules.some((r) => r.from?.some((f) => f.podSelector && !f.namespaceSelector && selectorMatches(f.podSelector, p.labels))));
    assert.deepEqual(allowed.map((p) => p.owner).sort(), ['Deployment/web', 'Deployment/worker', 'Job/crm-migrate']);
    assert.ok(rules.every((r) => r.from?.length && r.from.every((f) => f.podSelector && !f.ipBlock)), 'db ingress must only allow selected pods');
    assert.deepEqual(rules.flatMap((r) => r.ports ?? []).map((p) => p.port), [3306]);
  });
});
