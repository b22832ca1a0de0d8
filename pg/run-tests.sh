#!/usr/bin/env bash
# The PostgreSQL extension's tests, against a real PostgreSQL 15 started
# for them and stopped afterwards (docs/postgresql.md):
#
#   1. installs Debian's postgresql-15, postgresql-server-dev-15 and
#      postgresql-common (pg_virtualenv) when any is missing;
#   2. builds libpersona.a and the CLI with CMake (PERSONA_BUILD, default
#      build-pg; .ci/run passes the main build), then persona.so with PGXS;
#   3. checks that persona.so exports only its SQL functions and calls
#      nothing that starts a thread;
#   4. installs it into a staging directory (the system's stay clean) and
#      runs `make installcheck` (pg_regress: compile, eval, journeys,
#      inputs, shapes, cancel, parallel, upgrade, pii) under pg_virtualenv: a
#      throw-away cluster
#      on a private port, run as the postgres user, with extension_destdir
#      pointing at the staging directory.
#
# The rest of the project does not need any of this: scripts/test.sh never
# looks at pg/. About a minute and a half on two cores (the parallel test
# generates and scores 1 000 000 profiles twice).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${PERSONA_BUILD:-$root/build-pg}
case $build in /*) ;; *) build=$root/$build ;; esac
PG_MAJOR=15
export PGPORT=${PGPORT:-54329}

# ---- 1. packages --------------------------------------------------------------
bash "$root/scripts/deps.sh" postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-common
export PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config

# ---- 2. build ---------------------------------------------------------------------
source "$here/lib.sh"
echo "== pg: libpersona.a and the CLI ($build), then persona.so (PGXS, $($PG_CONFIG --version))"
pg_build "$build"

# ---- 3. what the shared object exports and calls ----------------------------------
exported=$(nm -D --defined-only "$here/persona.so" | awk '{print $3}' |
           grep -v -E '^(Pg_magic_func|_PG_init|pg_finfo_pgpersona_[a-z_]+|pgpersona_[a-z_]+)$' || true)
if [ -n "$exported" ]; then
  echo "pg: persona.so exports more than its SQL functions:" >&2
  echo "$exported" >&2
  exit 1
fi
threads=$(nm -D --undefined-only "$here/persona.so" | awk '{print $2}' |
          grep -E '^(pthread_create|g_thread_new|g_thread_try_new|g_thread_pool_new|g_main_loop_new)(@|$)' || true)
if [ -n "$threads" ]; then
  echo "pg: persona.so calls functions that start threads: $threads" >&2
  exit 1
fi

# ---- 4. install into a staging directory, test on a throw-away cluster -----------
stage=$(mktemp -d -t persona-pg.XXXXXX)
trap 'rm -rf "$stage"' EXIT
pg_stage "$build" "$stage"
rm -rf "$here/test/results" "$here/test/regression.diffs" "$here/test/regression.out"

echo "== pg: make installcheck on a private PostgreSQL $PG_MAJOR cluster (port $PGPORT)"
status=0
pg_virtualenv -t -v $PG_MAJOR -o extension_destdir="$stage" \
  make -C "$here" PERSONA_BUILD="$build" installcheck || status=$?
if [ $status -ne 0 ]; then
  [ -f "$here/test/regression.diffs" ] && cat "$here/test/regression.diffs" >&2
  exit $status
fi
