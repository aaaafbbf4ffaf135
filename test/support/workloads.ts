import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IContainerPort } from 'kubernetes-models/v1/ContainerPort';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
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
