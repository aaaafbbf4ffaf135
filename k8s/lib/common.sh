# shellcheck shell=bash
# Sourced by the k8s/ scripts: one way to fail, and one image tag for the
# push and deploy scripts (IMAGE_TAG if given, else the git commit).

# Prints "<script>: error: <message>" on stderr and exits 1.
die() {
  printf '%s: error: %s\n' "${0##*/}" "$*" >&2
  exit 1
}

resolve_image_tag() {
  if [[ -z "${IMAGE_TAG:-}" ]]; then
    IMAGE_TAG="$(git rev-parse HEAD 2>/dev/null)" ||
      die "cannot determine the git commit (not a git checkout?); set IMAGE_TAG"
  fi
  [[ "$IMAGE_TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
    die "IMAGE_TAG '$IMAGE_TAG' is not a valid Docker tag"
}
