import type { K8sObject } from './kustomize.js';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

/**
 * Validates one object against the Kubernetes OpenAPI schema bundled in
 * kubernetes-models: apiVersion "apps/v1" maps to the module kubernetes-models/apps/v1,
 * "v1" to kubernetes-models/v1, and the kind names the class. Throws on a schema
 * violation (wrong types, missing required fields) or an unknown apiVersion/kind.
 * Note: the bundled validators do not reject unknown fields.
 */
export async function validateObject(obj: K8sObject): Promise<void> {
  const id = `${obj.apiVersion} ${obj.kind}/${obj.metadata.name}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(`kubernetes-models/${obj.apiVersion}`)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${id}: no schema for apiVersion ${obj.apiVersion}`, { cause: err });
  }
  const Model = mod[obj.kind] as ModelClass | undefined;
  if (typeof Model !== 'function') throw new Error(`${id}: no schema for kind ${obj.kind}`);
  try {
    new Model(normalise(obj)).validate();
  } catch (err) {
    throw new Error(`${id} is invalid: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * kustomize wraps long base64 Secret data over several lines; the API server accepts
 * that (Go's base64 decoder skips newlines) but the schema's "byte" format does not.
 */
function normalise(obj: K8sObject): K8sObject {
  if (obj.kind !== 'Secret' || typeof obj.data !== 'object' || obj.data === null) return obj;
  const data = Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, String(v).replace(/\s+/g, '')]));
  return { ...obj, data };
}
