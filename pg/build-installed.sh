#!/usr/bin/env bash
# pg/build-installed.sh CMAKE BUILD SOURCE: builds the extension the way a
# packager or DBA would, from an installed libpersona only: installs BUILD
# into a temporary prefix, copies pg/ (and nothing else of SOURCE) to a
# temporary directory, and runs `make PERSONA_PKG=persona` there with
# PKG_CONFIG_PATH at the prefix. The persona.so must export only its SQL
# functions (as pg/run-tests.sh checks for the in-tree build). Skips (exit
# 0 with a message) when PostgreSQL's server headers are not installed.
set -euo pipefail
cmake=$1 build=$2 src=$3
pg_config=${PG_CONFIG:-$(command -v pg_config || true)}
if [ -z "$pg_config" ] || [ ! -d "$("$pg_config" --includedir-server 2>/dev/null)" ]; then
  echo "skipped: no PostgreSQL server headers (pg_config)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cmake" --install "$build" --prefix "$tmp/prefix" >/dev/null
mkdir "$tmp/ext"
cp -r "$src/pg/Makefile" "$src/pg/persona.control" "$src/pg/src" "$src/pg/sql" "$tmp/ext/"
PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib64/pkgconfig \
  make -s -C "$tmp/ext" PG_CONFIG="$pg_config" PERSONA_PKG=persona >"$tmp/make.log" 2>&1 ||
  { cat "$tmp/make.log"; echo "FAIL: the extension does not build from the installed libpersona"; exit 1; }
exported=$(nm -D --defined-only "$tmp/ext/persona.so" | awk '{print $3}' |
           grep -v -E '^(Pg_magic_func|_PG_init|pg_finfo_pgpersona_[a-z_]+|pgpersona_[a-z_]+)$' || true)
[ -z "$exported" ] || { echo "FAIL: persona.so exports more than its SQL functions: $exported"; exit 1; }
echo "ok: persona.so built from $tmp/prefix (persona.pc $(PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig pkg-config --modversion persona)) with only pg/ of the source"
