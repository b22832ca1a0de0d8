#!/usr/bin/env bash
# tests/embed/run.sh - libpersona as another program sees it.
#
# Installs this build into a temporary prefix, checks what was installed
# and what libpersona.so exports, builds examples/embed OUT OF TREE against
# the installed library twice (its Makefile with pkg-config; its
# CMakeLists.txt with find_package(Persona), shared and static), runs each
# build on the same input with a fixed time, and compares stdout, stderr
# and the exit status with tests/embed/expected.txt. Nothing is written
# into the source or build tree.
#
# usage: run.sh CMAKE BUILD_DIR SOURCE_DIR CC [FLAGS]
#   FLAGS: extra compile and link flags for the example (the sanitizer
#   flags of a sanitizer build, whose library needs them in the program).
set -euo pipefail
cmake=$1 build=$2 src=$3 cc=$4 flags=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
now=2026-02-01T00:00:00Z

tmp=$(mktemp -d "${TMPDIR:-/tmp}/persona-embed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- install -------------------------------------------------------------------
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
for f in include/persona.h lib/libpersona.a lib/libpersona.so lib/pkgconfig/persona.pc \
         lib/cmake/Persona/PersonaConfig.cmake lib/cmake/Persona/PersonaConfigVersion.cmake \
         lib/cmake/Persona/PersonaTargets.cmake; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
soname=$(objdump -p "$prefix/lib/libpersona.so" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = libpersona.so.0.2 ] || fail "SONAME is '$soname', expected libpersona.so.0.2"
[ -e "$prefix/lib/$soname" ] || fail "not installed: lib/$soname"

# The shared library exports exactly the functions persona.h declares with
# PERSONA_API: nothing internal (pvm_*, pdec_*, persona_yy*, …) that could
# clash with a host process's own symbols, and nothing declared is missing.
sed -n 's/^PERSONA_API[^(]*[^a-z0-9_]\(persona_[a-z0-9_]*\)(.*/\1/p' "$src/include/persona.h" \
  | sort -u > "$tmp/declared"
nm -D --defined-only "$prefix/lib/libpersona.so" | awk '{print $3}' | sort -u > "$tmp/exported"
diff -u --label declared --label exported "$tmp/declared" "$tmp/exported" \
  || fail "libpersona.so exports other symbols than persona.h declares"
# The static archive is one archive with everything: a program links with
# it alone (plus GLib, libffi, libm), checked by embed_static below.

# ---- the input: profiles of examples/profiles.jsonl, two bad records, and
#      a profile seen again (it continues from its state: no second welcome
#      email) ----------------------------------------------------------------
{
  sed -n '1,5p' "$src/examples/profiles.jsonl"
  echo '{"id":"bad","employees":"many"}'
  echo 'not json'
  sed -n '3p' "$src/examples/profiles.jsonl"
} > "$tmp/input.jsonl"

run() { # run NAME EXE: compares its output with expected.txt
  local status=0
  (cd "$tmp" && TZ=Asia/Shanghai LC_ALL=C.UTF-8 "$2" "$src/examples/b2b_journeys.persona" "$now" \
     < "$tmp/input.jsonl" > "$tmp/$1.out" 2> "$tmp/$1.err") || status=$?
  { cat "$tmp/$1.out"; echo "--- stderr"; cat "$tmp/$1.err"; echo "--- status $status"; } > "$tmp/$1.all"
  diff -u --label expected.txt --label "$1" "$here/expected.txt" "$tmp/$1.all" || fail "$1 differs"
}

# ---- 1. pkg-config and the example's Makefile ----------------------------------------
mkdir "$tmp/make"
PKG_CONFIG_PATH=$prefix/lib/pkgconfig make -s -C "$tmp/make" -f "$src/examples/embed/Makefile" \
  CC="$cc" CFLAGS="-O1 -g -Wall -Wextra -Werror $flags" LDFLAGS="$flags" >/dev/null
# pkg-config may give the prefix as .../lib/pkgconfig/../..: compare real paths.
loaded=$(ldd "$tmp/make/embed" | awk '/libpersona\.so\.0\.2 =>/ {print $3}')
[ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "$prefix/lib/libpersona.so.0.2")" ] \
  || fail "the Makefile's embed does not load the installed libpersona.so: $(ldd "$tmp/make/embed" | grep persona)"
run make-embed "$tmp/make/embed"

# ---- 2. find_package(Persona) and the example's CMakeLists.txt ------------------------
"$cmake" -S "$src/examples/embed" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror $flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
"$cmake" --build "$tmp/cmake" >/dev/null
ldd "$tmp/cmake/embed_static" | grep -q libpersona && fail "embed_static loads libpersona.so"
run cmake-embed "$tmp/cmake/embed"
run cmake-embed_static "$tmp/cmake/embed_static"
echo "ok: installed, exports checked, 3 builds out of tree give expected.txt"
