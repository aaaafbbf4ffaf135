#!/usr/bin/env bash
# Tag the locally built CRM image with the git commit and "latest" and push both.
#
# Required:  DOCKER_USERNAME, DOCKER_PASSWORD   (not needed when DOCKER_LOGIN=false)
# Optional:  REGISTRY      registry host              (default docker.io; e.g. 127.0.0.1:5001)
#            IMAGE         repository in the registry (default $DOCKER_USERNAME/globomantics-crm)
#            SOURCE_IMAGE  local image to push        (default globomantics-crm:local)
#            IMAGE_TAG     version tag                (default: git rev-parse HEAD)
#            DOCKER_LOGIN  false to skip login/logout, e.g. for an unauthenticated local registry
#
# Example:   REGISTRY=127.0.0.1:5001 IMAGE=crm DOCKER_LOGIN=false k8s/push_to_dockerhub.sh
set -Eeuo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$script_dir/lib/common.sh"


DOCKER_LOGIN="${DOCKER_LOGIN:-true}"
missing=()
if [[ "$DOCKER_LOGIN" != false ]]; then
  [[ -n "${DOCKER_USERNAME:-}" ]] || missing+=(DOCKER_USERNAME)
  [[ -n "${DOCKER_PASSWORD:-}" ]] || missing+=(DOCKER_PASSWORD)
elif [[ -z "${IMAGE:-}" && -z "${DOCKER_USERNAME:-}" ]]; then
  missing+=(IMAGE)
fi
if ((${#missing[@]} > 0)); then
  die "missing required environment variable(s): ${missing[*]}"
fi

REGISTRY="${REGISTRY:-docker.io}"
IMAGE="${IMAGE:-${DOCKER_USERNAME}/globomantics-crm}"
SOURCE_IMAGE="${SOURCE_IMAGE:-globomantics-crm:local}"
resolve_image_tag

command -v docker >/dev/null 2>&1 || die "docker is not installed or not on PATH"
docker image inspect "$SOURCE_IMAGE" >/dev/null 2>&1 ||
  die "source image '$SOURCE_IMAGE' not found; build it first (docker compose build) or set SOURCE_IMAGE"

if [[ "$DOCKER_LOGIN" != false ]]; then
  # The password goes through stdin, never argv (visible in ps / shell history).
  printf '%s' "$DOCKER_PASSWORD" |
    docker login --username "$DOCKER_USERNAME" --password-stdin "$REGISTRY" >/dev/null ||
    die "docker login to $REGISTRY failed for user $DOCKER_USERNAME"
  # Do not leave the credential in ~/.docker/config.json after we are done.
  trap 'docker logout "$REGISTRY" >/dev/null 2>&1 || true' EXIT
fi

for tag in "$IMAGE_TAG" latest; do
  ref="$REGISTRY/$IMAGE:$tag"
  docker tag "$SOURCE_IMAGE" "$ref" || die "docker tag $SOURCE_IMAGE $ref failed"
  docker push "$ref" || die "docker push $ref failed"
  printf 'Pushed %s\n' "$ref"
done
