import path from 'node:path';

/** The repository root: the one place tests and tools compute it. */
export const ROOT = path.resolve(import.meta.dirname, '../..');
export const k8sDir = path.join(ROOT, 'k8s');
export const manifestDir = path.join(k8sDir, 'manifest');
export const workflowFile = path.join(ROOT, '.github/workflows/ci.yml');
export const scripts = {
  push: path.join(k8sDir, 'push_to_dockerhub.sh'),
  install: path.join(k8sDir, 'install_k8s_pkgs.sh'),
  deploy: path.join(k8sDir, 'deploy_k8s.sh'),
} as const;
