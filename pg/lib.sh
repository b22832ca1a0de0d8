# pg/lib.sh - the build steps pg/run-tests.sh and bench/pg_bench.sh share
# (sourced; PG_CONFIG must be set).
#
#   pg_build BUILD      libpersona.a and the CLI in BUILD (configured as a
#                       Release build when new), then pg/persona.so on them
#   pg_stage BUILD DIR  installs persona.so into the staging directory DIR,
#                       readable by the server (it runs as postgres)

pg_lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

pg_build() {
  local build=$1
  [ -f "$build/CMakeCache.txt" ] || cmake -S "$pg_lib_root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"$(nproc)" --target persona persona_cli >/dev/null
  make -C "$pg_lib_root/pg" -s PERSONA_BUILD="$build" clean
  make -C "$pg_lib_root/pg" -s PERSONA_BUILD="$build"
}

pg_stage() {
  make -C "$pg_lib_root/pg" -s PERSONA_BUILD="$1" install DESTDIR="$2" >/dev/null
  chmod -R a+rX "$2"
}
