#!/usr/bin/env bash
# Creates a self-signed certificate and key for local HTTPS, non-interactively.
# Usage: ./make_cert.sh [DIR]   (DIR defaults to ssl/; it is git-ignored: never commit a key)
set -euo pipefail

dir="${1:-ssl}"
days="${CERT_DAYS:-365}"
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -sha256 -nodes \
  -days "$days" \
  -subj "/CN=localhost/O=Globomantics CRM (self-signed)" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 600 "$dir/key.pem"
chmod 644 "$dir/cert.pem"
echo "Created $dir/cert.pem and $dir/key.pem (self-signed, $days days, for localhost)"
