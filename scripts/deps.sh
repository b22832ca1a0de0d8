#!/usr/bin/env bash
# Installs the Debian 12 packages Persona needs to build and test, when
# any is missing. Safe to run again: it only calls apt when something is
# not installed. Arguments name more packages to install the same way
# (pg/run-tests.sh: PostgreSQL).
set -euo pipefail

PACKAGES=(build-essential cmake pkg-config flex bison libglib2.0-dev libffi-dev
          libsqlite3-dev libsodium-dev libpcre2-dev sqlite3 python3 valgrind "$@")

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "persona: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
