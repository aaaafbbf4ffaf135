#!/usr/bin/env bash
# Run before `npm start`: makes a self-signed pair when none is configured yet.
set -euo pipefail
cert="${TLS_CERT_FILE:-ssl/cert.pem}"
key="${TLS_KEY_FILE:-ssl/key.pem}"
if [[ ! -f "$cert" && ! -f "$key" && "$cert" == "ssl/cert.pem" ]]; then
  "$(dirname "$0")/../make_cert.sh" ssl
fi
