#!/usr/bin/env bash
# Installs the Debian packages the test suites need, when missing:
# ShellCheck (delivery scripts), chromium (browser tests), poppler-utils (pdftotext,
# pdftoppm and pdfinfo read the statement PDFs as a person would), sqlmap, testssl.sh
# and wrk (attack tests, test/attacks), galera-4 and rsync (the three-node cluster of
# scripts/test-galera.sh: the provider library, and the SST method for a node that
# needs a whole copy); kubectl comes with the machine.
set -euo pipefail
missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v chromium >/dev/null || missing+=(chromium)
{ command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && command -v pdfinfo >/dev/null; } || missing+=(poppler-utils)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v sqlmap >/dev/null || missing+=(sqlmap)
# Debian's testssl.sh package installs the command as `testssl`.
{ command -v testssl >/dev/null || command -v testssl.sh >/dev/null; } || missing+=(testssl.sh)
command -v wrk >/dev/null || missing+=(wrk)
[[ -e /usr/lib/galera/libgalera_smm.so ]] || missing+=(galera-4)
command -v rsync >/dev/null || missing+=(rsync)
if (( ${#missing[@]} > 0 )); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v kubectl >/dev/null || { echo "kubectl is required (the delivery tests render the manifests with it)" >&2; exit 1; }
echo "test packages present: shellcheck chromium poppler-utils openssl curl sqlmap testssl.sh wrk galera-4 rsync kubectl"
