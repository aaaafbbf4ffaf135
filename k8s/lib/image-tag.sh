# shellcheck shell=bash
# Sourced by push_to_dockerhub.sh and deploy_k8s.sh, so that both name the
# same image tag: IMAGE_TAG if given, else the git commit. Needs the caller's die().
resolve_image_tag() {
  if [[ -z "${IMAGE_TAG:-}" ]]; then
    IMAGE_TAG="$(git rev-parse HEAD 2>/dev/null)" ||
      die "cannot determine the git commit (not a git checkout?); set IMAGE_TAG"
  fi
  [[ "$IMAGE_TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
    die "IMAGE_TAG '$IMAGE_TAG' is not a valid Docker tag"
}
