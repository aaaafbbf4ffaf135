#!/usr/bin/env bash
# Install a pinned, checksum-verified kubectl and point it at the EKS cluster.
#
# AWS credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
# or whatever the AWS CLI is already configured with (profile, SSO, instance role).
# Region: AWS_DEFAULT_REGION, else AWS_REGION, else `aws configure get region`.
#
# Optional:  EKS_CLUSTER          cluster name              (default globo_cluster)
#            KUBECTL_VERSION      pinned kubectl release    (default below)
#            KUBECTL_INSTALL_DIR  where kubectl goes        (default $HOME/.local/bin)
#            KUBECTL_BASE_URL     download mirror           (default https://dl.k8s.io/release)
#
# Idempotent: the download is skipped when the pinned version is already installed.
set -Eeuo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$script_dir/lib/common.sh"

KUBECTL_VERSION="${KUBECTL_VERSION:-v1.32.4}"
KUBECTL_INSTALL_DIR="${KUBECTL_INSTALL_DIR:-$HOME/.local/bin}"
KUBECTL_BASE_URL="${KUBECTL_BASE_URL:-https://dl.k8s.io/release}"
EKS_CLUSTER="${EKS_CLUSTER:-globo_cluster}"
kubectl_bin="$KUBECTL_INSTALL_DIR/kubectl"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# The whole output is captured before it is searched: with pipefail, `kubectl |
# grep -q` fails at random when grep exits early and kubectl gets SIGPIPE.
kubectl_version_output=""
installed_version_matches() {
  [[ -x "$kubectl_bin" ]] || return 1
  kubectl_version_output="$("$kubectl_bin" version --client -o json 2>&1)" || return 1
  grep -Eq "\"gitVersion\": *\"${KUBECTL_VERSION}\"" <<<"$kubectl_version_output"
}

install_kubectl() {
  local os arch url work expected actual
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unsupported CPU architecture $(uname -m)" ;;
  esac
  url="$KUBECTL_BASE_URL/$KUBECTL_VERSION/bin/$os/$arch/kubectl"
  command -v curl >/dev/null 2>&1 || die "curl is required to download kubectl"

  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand $work now: it is local to this function
  trap "rm -rf '$work'" EXIT
  echo "Downloading kubectl $KUBECTL_VERSION ($os/$arch) from $url"
  curl -fsSL --retry 3 -o "$work/kubectl" "$url" || die "download of $url failed"
  curl -fsSL --retry 3 -o "$work/kubectl.sha256" "$url.sha256" || die "download of $url.sha256 failed"

  expected="$(tr -d '[:space:]' <"$work/kubectl.sha256")"
  actual="$(sha256_of "$work/kubectl")"
  [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "published checksum $url.sha256 is malformed"
  [[ "$actual" == "$expected" ]] ||
    die "checksum mismatch for kubectl $KUBECTL_VERSION: expected $expected, got $actual"

  if ! { mkdir -p "$KUBECTL_INSTALL_DIR" && install -m 0755 "$work/kubectl" "$kubectl_bin"; }; then
    die "cannot write $kubectl_bin; set KUBECTL_INSTALL_DIR to a writable directory"
  fi
  installed_version_matches ||
    die "installed $kubectl_bin does not report version $KUBECTL_VERSION; it said: ${kubectl_version_output:-nothing}"
  echo "Installed kubectl $KUBECTL_VERSION to $kubectl_bin (sha256 $actual)"
}

if installed_version_matches; then
  echo "kubectl $KUBECTL_VERSION already installed at $kubectl_bin; skipping download"
else
  install_kubectl
fi
case ":$PATH:" in
  *":$KUBECTL_INSTALL_DIR:"*) ;;
  *) echo "note: $KUBECTL_INSTALL_DIR is not on PATH; add it before running deploy_k8s.sh" >&2 ;;
esac

# --- AWS CLI, identity and kubeconfig ---------------------------------------
command -v aws >/dev/null 2>&1 ||
  die "the AWS CLI (aws) is not installed; see https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
if [[ -n "${AWS_ACCESS_KEY_ID:-}" && -z "${AWS_SECRET_ACCESS_KEY:-}" ]]; then
  die "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is missing"
fi
if [[ -z "${AWS_ACCESS_KEY_ID:-}" && -n "${AWS_SECRET_ACCESS_KEY:-}" ]]; then
  die "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is missing"
fi

region="${AWS_DEFAULT_REGION:-${AWS_REGION:-}}"
if [[ -z "$region" ]]; then
  region="$(aws configure get region 2>/dev/null || true)"
fi
[[ -n "$region" ]] || die "no AWS region: set AWS_DEFAULT_REGION (or run aws configure)"

identity="$(aws sts get-caller-identity --query Arn --output text)" ||
  die "AWS credentials are missing or invalid (aws sts get-caller-identity failed); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or configure the AWS CLI"
echo "AWS identity: $identity"

aws eks update-kubeconfig --name "$EKS_CLUSTER" --region "$region" ||
  die "aws eks update-kubeconfig failed for cluster '$EKS_CLUSTER' in $region"
echo "kubectl context: $("$kubectl_bin" config current-context)"
