#!/usr/bin/env bash
# Makes a bootstrap-admin file: the first staff admin, which the app creates at start-up
# while its database has no staff users yet (CRM_BOOTSTRAP_ADMIN_FILE), and ignores after.
#
#   scripts/make-bootstrap-admin.sh [FILE] [USERNAME]
#
# FILE      default secrets/bootstrap-admin, for npm start and docker compose (set
#           CRM_BOOTSTRAP_ADMIN_FILE=secrets/bootstrap-admin in .env); for Kubernetes
#           k8s/manifest/secrets/bootstrap-admin (deploy_k8s.sh). Both are git-ignored.
# USERNAME  default admin.
#
# The file (dotenv syntax, mode 0600) holds username= and a random password= of 32 hex
# characters. The password is not printed: read it from the file, sign in, change it.
# An existing file is never overwritten.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
file="${1:-$root/secrets/bootstrap-admin}"
username="${2:-admin}"
die() {
  printf '%s: error: %s\n' "${0##*/}" "$*" >&2
  exit 1
}

# One dotenv token: no blanks, quotes, "#" or "=" (util.parseEnv would cut or unquote them).
[[ "$username" =~ ^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$ ]] ||
  die "user name '$username': use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
[[ ! -e "$file" ]] ||
  die "$file already exists; delete it first to make a new one (the app ignores it once any staff user exists)"
command -v openssl >/dev/null 2>&1 || die "openssl is not installed (apt-get install -y openssl)"

password="$(openssl rand -hex 16)"
[[ "$password" =~ ^[0-9a-f]{32}$ ]] || die "openssl rand did not give 32 hex characters"
mkdir -p "$(dirname "$file")"
umask 077
# noclobber: never replace a file that appeared since the check above.
(
  set -o noclobber
  printf '%s\n' \
    "# The first staff admin of Globomantics CRM (CRM_BOOTSTRAP_ADMIN_FILE), made by" \
    "# scripts/make-bootstrap-admin.sh. Used only while the database has no staff users." \
    "username=$username" \
    "password=$password" >"$file"
) || die "could not create $file"
unset password

shown="${file#"$root"/}"
echo "Created $shown: user name $username, a random 32-character password (read it in the file)."
echo "The app creates this admin at start-up only while its database has no staff users;"
echo "sign in and change the password."
case "$file" in
  */k8s/manifest/secrets/bootstrap-admin | k8s/manifest/secrets/bootstrap-admin)
    echo "k8s/deploy_k8s.sh puts it into the Secret crm-bootstrap-admin, mounted into web."
    ;;
  *)
    echo "npm start and docker compose use it once .env has: CRM_BOOTSTRAP_ADMIN_FILE=$shown"
    if [[ "$(id -u)" != 1000 ]]; then
      # As for ssl/key.pem: the web container's user is uid 1000.
      echo "docker compose: your uid is not 1000, so let the container read it through its group:"
      echo "  chmod 640 $shown, and TLS_KEY_GID=$(id -g) in .env"
    fi
    ;;
esac
