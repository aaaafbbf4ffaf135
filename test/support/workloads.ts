import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IContainerPort } from 'kubernetes-models/v1/ContainerPort';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { K8sObject } from './kustomize.js';

export interface LabelSelector {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?: { key: string; operator: string; values?: string[] | undefined }[] | undefined;
}

/** Kubernetes label-selector semantics (an empty selector matches everything). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  const have = new Map(Object.entries(labels));
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => have.get(k) === v);
  const byExpr = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = have.get(key);
    switch (operator) {
      case 'In': return value !== undefined && values.includes(value);
      case 'NotIn': return value === undefined || !values.includes(value);
      case 'Exists': return value !== undefined;
      case 'DoesNotExist': return value === undefined;
      default: throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return byLabel && byExpr;
}

/** One label of an object (undefined when absent). */
export function labelOf(labels: Record<string, string> | undefined, key: string): string | undefined {
  return new Map(Object.entries(labels ?? {})).get(key);
}

export interface PodTemplate {
  owner: string;
  labels: Record<string, string>;
  spec: IPodSpec;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/** The pod templates of every workload, e.g. { owner: "Deployment/web", ... }. */
export function podTemplates(objects: K8sObject[]): PodTemplate[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind))
    .map((o) => {
      const template = (o.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: IPodSpec } }).template;
      return { owner: `${o.kind}/${o.metadata.name}`, labels: template.metadata?.labels ?? {}, spec: template.spec };
    });
}

export function allContainers(spec: IPodSpec): IContainer[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** Resolves a probe/Service port (number or port name) to the container port it reaches. */
export function resolvePort(containers: IContainer[], port: number | string | undefined): IContainerPort | undefined {
  const ports = containers.flatMap((c) => c.ports ?? []);
  return typeof port === 'number' ? ports.find((p) => p.containerPort === port) : ports.find((p) => p.name === port);
}

/**
 * What keeps a pod template from the restricted Pod Security profile and this
 * project's rules for every workload (no API token, read-only root, an emptyDir
 * on /tmp), one readable line per problem; empty when it complies.
 */
export function restrictedViolations({ owner, spec }: PodTemplate): string[] {
  const problems: string[] = [];
  const fail = (what: string) => problems.push(`${owner}: ${what}`);
  if (spec.automountServiceAccountToken !== false) fail('automountServiceAccountToken is not false');
  if (spec.securityContext?.seccompProfile?.type !== 'RuntimeDefault') fail('seccompProfile is not RuntimeDefault');
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) fail('shares a host namespace');
  for (const v of spec.volumes ?? []) if (v.hostPath) fail(`hostPath volume ${v.name}`);
  for (const c of allContainers(spec)) {
    const where = `container ${c.name}`;
    const sc = c.securityContext;
    if ((sc?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot) !== true) fail(`${where} runAsNonRoot is not true`);
    const uid = sc?.runAsUser ?? spec.securityContext?.runAsUser;
    if (uid === 0) fail(`${where} runs as uid 0`);
    if (sc?.allowPrivilegeEscalation !== false) fail(`${where} allowPrivilegeEscalation is not false`);
    if (JSON.stringify(sc?.capabilities?.drop) !== '["ALL"]') fail(`${where} does not drop ALL capabilities`);
    if (sc?.privileged) fail(`${where} is privileged`);
    if (sc?.readOnlyRootFilesystem !== true) fail(`${where} root filesystem is not read-only`);
    const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
    if (!spec.volumes?.find((v) => v.name === tmp?.name)?.emptyDir) fail(`${where} has no emptyDir on /tmp`);
  }
  return problems;
}

/** Containers lacking a cpu or memory request or limit, as "owner/container lacks resources.x". */
export function missingResources({ owner, spec }: PodTemplate): string[] {
  return allContainers(spec).flatMap((c) => {
    const r = c.resources;
    const bounds = { 'requests.cpu': r?.requests?.cpu, 'requests.memory': r?.requests?.memory, 'limits.cpu': r?.limits?.cpu, 'limits.memory': r?.limits?.memory };
    return Object.entries(bounds).filter(([, value]) => !value).map(([name]) => `${owner}/${c.name} lacks resources.${name}`);
  });
}

export interface Ingress {
  /** Pod templates (by owner) that may connect, through a podSelector in this namespace. */
  owners: string[];
  /** The "protocol/port" pairs they may connect to. */
  ports: string[];
  /** Why anything beyond selected pods in this namespace may connect (open rules, ipBlocks, namespaceSelectors). */
  wider: string[];
}

/**
 * Who may connect to pods with these labels under Kubernetes NetworkPolicy semantics:
 * the union of the ingress rules of every policy that selects them (isolated only if
 * one does). A policy with no rules only isolates.
 */
export function ingressTo(
  labels: Record<string, string>,
  policies: INetworkPolicy[],
  pods: PodTemplate[],
): Ingress {
  const selecting = policies.filter((np) => (np.spec?.policyTypes ?? ['Ingress']).includes('Ingress') && selectorMatches(np.spec!.podSelector, labels));
  if (selecting.length === 0) return { owners: pods.map((p) => p.owner), ports: ['any'], wider: ['no NetworkPolicy selects these pods'] };
  const owners = new Set<string>();
  const ports = new Set<string>();
  const wider: string[] = [];
  for (const np of selecting) {
    for (const [i, rule] of (np.spec!.ingress ?? []).entries()) {
      const where = `${np.metadata?.name} rule ${i}`;
      if (!rule.from?.length) wider.push(`${where} admits every source`);
      if (!rule.ports?.length) ports.add('any');
      for (const p of rule.ports ?? []) ports.add(`${p.protocol ?? 'TCP'}/${p.port ?? 'any'}${p.endPort ? `-${p.endPort}` : ''}`);
      for (const peer of rule.from ?? []) {
        if (peer.ipBlock) wider.push(`${where} admits ipBlock ${peer.ipBlock.cidr}`);
        if (peer.namespaceSelector) wider.push(`${where} admits pods of other namespaces`);
        if (peer.podSelector && !peer.namespaceSelector) {
          for (const p of pods) if (selectorMatches(peer.podSelector, p.labels)) owners.add(p.owner);
        }
      }
    }
  }
  return { owners: [...owners].sort(), ports: [...ports].sort(), wider };
}

export interface EgressPeer {
  /** Pod templates (by owner) in this namespace, "<namespace labels> / <pod labels>" elsewhere, or "ipBlock <cidr>[ except …]". */
  to: string;
  /** "protocol/port" pairs, or "any". */
  ports: string[];
}

/**
 * Where pods with these labels may connect under Kubernetes NetworkPolicy semantics:
 * the union of the egress rules of every policy with policyType Egress that selects
 * them; undefined when none does (then egress is unrestricted).
 */
export function egressFrom(labels: Record<string, string>, policies: INetworkPolicy[], pods: PodTemplate[]): EgressPeer[] | undefined {
  const selecting = policies.filter((np) => (np.spec?.policyTypes ?? []).includes('Egress') && selectorMatches(np.spec!.podSelector, labels));
  if (selecting.length === 0) return undefined;
  const show = (m: Record<string, string> | undefined) => Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '*';
  const peers: EgressPeer[] = [];
  for (const np of selecting) {
    for (const rule of np.spec!.egress ?? []) {
      const ports = rule.ports?.length ? rule.ports.map((p) => `${p.protocol ?? 'TCP'}/${p.port ?? 'any'}${p.endPort ? `-${p.endPort}` : ''}`) : ['any'];
      if (!rule.to?.length) peers.push({ to: 'anywhere', ports });
      for (const peer of rule.to ?? []) {
        if (peer.ipBlock) peers.push({ to: `ipBlock ${peer.ipBlock.cidr}${peer.ipBlock.except?.length ? ` except ${peer.ipBlock.except.join(',')}` : ''}`, ports });
        else if (peer.namespaceSelector) peers.push({ to: `${show(peer.namespaceSelector.matchLabels)} / ${show(peer.podSelector?.matchLabels)}`, ports });
        else if (peer.podSelector) {
          const owners = pods.filter((p) => selectorMatches(peer.podSelector!, p.labels)).map((p) => p.owner);
          peers.push({ to: owners.sort().join(' ') || `no pod matches ${show(peer.podSelector.matchLabels)}`, ports });
        }
      }
    }
  }
  return peers;
}
