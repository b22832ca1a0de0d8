# pg/citus/cluster.sh - a throw-away Citus cluster on localhost: one
# coordinator and two workers on private ports (sourced by
# pg/citus/run-tests.sh and bench/citus_bench.sh; PG_CONFIG must be set,
# pg/lib.sh sourced).
#
#   citus_build DIR          builds Citus 13.2.2 from the vendored tarball
#                            into the staging directory DIR (a DESTDIR
#                            install), unless DIR already holds that build
#   citus_overlay ROOT STAGE...  a private PostgreSQL "installation" in ROOT:
#                            its own copy of the server binary, and share/
#                            and lib/ directories of symbolic links to the
#                            system's files plus those of each staging
#                            directory (Citus, persona.so)
#   cluster_start ROOT DIR PORT  initdb and start the coordinator on PORT and
#                            workers on PORT+1 and PORT+2 (data and sockets
#                            in DIR), create the citus extension on each and
#                            register the nodes; cluster_stop stops them
#   cluster_psql PORT ARGS…  psql to one node (as postgres, no psqlrc)
#
# Why an overlay and not extension_destdir (which pg/run-tests.sh uses):
# Citus looks itself up in pg_available_extensions, which reads only the
# server's own share/extension directory, and shared_preload_libraries does
# not look in extension_destdir either. PostgreSQL finds share/ and lib/
# relative to the server binary, so a copy of the binary in ROOT serves
# ROOT's directories and the system's stay untouched.
#
# As root (CI), the servers run as the postgres user, like pg_virtualenv.

citus_lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CITUS_VERSION=13.2.2
# The Citus source as `git archive` of tag v13.2.2 (AGPL-3.0), kept outside
# the repository: next to the checkout, in shared/vendor.
CITUS_TARBALL=${CITUS_TARBALL:-$(dirname "$citus_lib_root")/shared/vendor/citus-$CITUS_VERSION.tar.gz}
CITUS_SHA256=cc5fb2bc63b877065796b362d3335c94110ef22869d0590f84960bb76c2945c4
# Citus's build needs these besides postgresql-server-dev-15.
CITUS_BUILD_DEPS=(liblz4-dev libzstd-dev libkrb5-dev libssl-dev libselinux1-dev libxslt1-dev
                  libpam0g-dev libreadline-dev)

citus_cluster_nodes=()      # data directories of the started nodes
citus_cluster_ctl=()        # pg_ctl command prefix per started node

# Runs a command as the server's user: postgres when we are root.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

citus_build() {
  local stage=$1 stamp="$1/.built" want
  want="citus $CITUS_VERSION $CITUS_SHA256 $($PG_CONFIG --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  if [ ! -f "$CITUS_TARBALL" ]; then
    echo "citus: the Citus source $CITUS_TARBALL is missing (set CITUS_TARBALL to the citus-$CITUS_VERSION.tar.gz of docs/postgresql.md)" >&2
    return 2
  fi
  if ! echo "$CITUS_SHA256  $CITUS_TARBALL" | sha256sum -c --status; then
    echo "citus: $CITUS_TARBALL is not the expected citus-$CITUS_VERSION (sha256 differs)" >&2
    return 2
  fi
  bash "$citus_lib_root/scripts/deps.sh" "${CITUS_BUILD_DEPS[@]}"
  local src
  src=$(mktemp -d -t persona-citus-src.XXXXXX)
  echo "== citus: building Citus $CITUS_VERSION into $stage (about 70 s on two cores)"
  tar xzf "$CITUS_TARBALL" -C "$src"
  # Debian's PostgreSQL 15.20 headers declare have_createdb_privilege(),
  # which Citus 13.2.2's compatibility header also defines as a static
  # function: rename Citus's copy when the server's header has its own.
  if grep -q 'have_createdb_privilege' "$($PG_CONFIG --includedir-server)/commands/dbcommands.h"; then
    sed -i 's/^have_createdb_privilege(void)/citus_unused_have_createdb_privilege(void)/' \
      "$src/src/include/pg_version_compat.h"
  fi
  local log=$src/build.log
  if ! (cd "$src" && PG_CONFIG=$PG_CONFIG ./configure --without-libcurl &&
        make -j"$(nproc)" with_llvm=no && rm -rf "$stage" &&
        make install with_llvm=no DESTDIR="$stage") >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "citus: the build failed (above: the end of its log)" >&2
    rm -rf "$src"
    return 1
  fi
  rm -rf "$src"
  chmod -R a+rX "$stage"
  echo "$want" > "$stamp"
}

citus_overlay() {
  local root=$1
  shift
  local bindir libdir sharedir
  bindir=$($PG_CONFIG --bindir)
  libdir=$($PG_CONFIG --pkglibdir)
  sharedir=$($PG_CONFIG --sharedir)
  mkdir -p "$root$bindir" "$root$libdir" "$root$sharedir/extension"
  cp "$bindir/postgres" "$root$bindir/"
  local f
  for f in "$libdir"/*; do ln -s "$f" "$root$libdir/"; done
  for f in "$sharedir"/*; do [ "$(basename "$f")" = extension ] || ln -s "$f" "$root$sharedir/"; done
  for f in "$sharedir"/extension/*; do ln -s "$f" "$root$sharedir/extension/"; done
  local stage
  for stage in "$@"; do
    for f in "$stage$libdir"/*; do ln -sfn "$f" "$root$libdir/"; done
    for f in "$stage$sharedir"/extension/*; do ln -sf "$f" "$root$sharedir/extension/"; done
  done
  chmod -R a+rX "$root"
}

cluster_psql() {
  local port=$1
  shift
  psql -X -q -v ON_ERROR_STOP=1 -h "$citus_cluster_sockets" -p "$port" -U postgres -d postgres "$@"
}

# One node: initdb, its settings, start, CREATE EXTENSION citus.
citus_node_start() {
  local root=$1 dir=$2 port=$3
  local bindir
  bindir=$($PG_CONFIG --bindir)
  as_server_user "$bindir/initdb" -D "$dir/$port" -A trust -U postgres >"$dir/$port.initdb.log" 2>&1 ||
    { cat "$dir/$port.initdb.log" >&2; return 1; }
  cat >> "$dir/$port/postgresql.conf" <<EOF
port = $port
listen_addresses = 'localhost'
unix_socket_directories = '$dir'
shared_preload_libraries = 'citus'
max_connections = 60
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
EOF
  citus_cluster_nodes+=("$dir/$port")
  as_server_user "$bindir/pg_ctl" -p "$root$bindir/postgres" -D "$dir/$port" -l "$dir/$port.log" -w start >/dev/null ||
    { cat "$dir/$port.log" >&2; return 1; }
  cluster_psql "$port" -c "SET client_min_messages = warning" -c "CREATE EXTENSION citus"
}

cluster_start() {
  local root=$1 dir=$2 port=$3
  citus_cluster_sockets=$dir
  mkdir -p "$dir"
  chmod 755 "$dir"
  [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
  local p
  for p in "$port" $((port + 1)) $((port + 2)); do citus_node_start "$root" "$dir" "$p"; done
  cluster_psql "$port" -c "SELECT citus_set_coordinator_host('localhost', $port)" \
    -c "SELECT citus_add_node('localhost', $((port + 1)))" \
    -c "SELECT citus_add_node('localhost', $((port + 2)))" >/dev/null
}

# Stops every node that was started, whatever state it is in.
cluster_stop() {
  local d
  for d in "${citus_cluster_nodes[@]}"; do
    [ -f "$d/postmaster.pid" ] && as_server_user "$($PG_CONFIG --bindir)/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1
  done
  citus_cluster_nodes=()
  return 0
}
