import path from 'node:path';

/** Absolute paths of the delivery files under test. */
export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const k8sDir = path.join(repoRoot, 'k8s');
export const manifestDir = path.join(k8sDir, 'manifest');
export const workflowFile = path.join(repoRoot, '.github/workflows/ci.yml');
export const scripts = {
  push: path.join(k8sDir, 'push_to_dockerhub.sh'),
  install: path.join(k8sDir, 'install_k8s_pkgs.sh'),
  deploy: path.join(k8sDir, 'deploy_k8s.sh'),
} as const;
