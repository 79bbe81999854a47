# Sourced by scripts/test and scripts/bench: a throwaway PostgreSQL cluster.
#   pg_cluster_start  → exports WARRANT_TEST_PG_URL (and PG_CLUSTER_DIR), or
#                       returns 1 with PG_CLUSTER_NOTE saying why not
#   pg_cluster_stop   → stops it and removes its folder (also on EXIT via trap)
# Installs Debian's postgresql when initdb is missing and we are root (or
# have password-less sudo). initdb refuses root, so the cluster runs as the
# unprivileged system user warrant-pg (created when missing). The server
# listens on 127.0.0.1 on a free port and on a unix socket inside its own
# temp folder, so several runs on one machine never collide.

pg_bin_dir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

pg_cluster_install() {
  local sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || { PG_CLUSTER_NOTE="postgresql is not installed and we are not root (no password-less sudo)"; return 1; }
    sudo_cmd=(sudo -n)
  fi
  local apt_wait=(-o DPkg::Lock::Timeout=600)
  say "── installing postgresql for the PostgreSQL store tests (apt-get)"
  if ! { "${sudo_cmd[@]}" apt-get "${apt_wait[@]}" update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get "${apt_wait[@]}" install -y -qq --no-install-recommends postgresql; } >/tmp/warrant-pg-apt.$$.log 2>&1; then
    tail -5 /tmp/warrant-pg-apt.$$.log >&2
    PG_CLUSTER_NOTE="apt-get install postgresql failed"
    return 1
  fi
}

pg_free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

pg_cluster_start() {
  PG_CLUSTER_NOTE=""
  # useradd and runuser live in /usr/sbin on Debian, which a CI PATH may lack.
  export PATH="$PATH:/usr/sbin:/sbin"
  local bin
  if ! bin="$(pg_bin_dir)"; then
    pg_cluster_install || return 1
    bin="$(pg_bin_dir)" || { PG_CLUSTER_NOTE="initdb not found after installing postgresql"; return 1; }
  fi
  local runas=()
  if [ "$(id -u)" -eq 0 ]; then
    id -u warrant-pg >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin warrant-pg ||
      { PG_CLUSTER_NOTE="cannot create the user warrant-pg"; return 1; }
    runas=(runuser -u warrant-pg --)
  fi
  PG_CLUSTER_DIR="$(mktemp -d /tmp/warrant-pg.XXXXXX)"
  chmod 755 "$PG_CLUSTER_DIR"
  [ "$(id -u)" -eq 0 ] && chown warrant-pg "$PG_CLUSTER_DIR"
  local port; port="$(pg_free_port)"
  if ! "${runas[@]}" "$bin/initdb" -D "$PG_CLUSTER_DIR/data" -U warrant -A trust --no-sync \
    --locale=C.UTF-8 -E UTF8 >"$PG_CLUSTER_DIR/initdb.log" 2>&1; then
    tail -5 "$PG_CLUSTER_DIR/initdb.log" >&2; PG_CLUSTER_NOTE="initdb failed"; return 1
  fi
  # fsync stays on and synchronous_commit on (the defaults): the tests
  # exercise the durability the store relies on, not a faster fiction.
  if ! "${runas[@]}" "$bin/pg_ctl" -D "$PG_CLUSTER_DIR/data" -l "$PG_CLUSTER_DIR/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_CLUSTER_DIR -c max_connections=200" start >/dev/null 2>&1; then
    tail -10 "$PG_CLUSTER_DIR/server.log" >&2; PG_CLUSTER_NOTE="pg_ctl start failed"; return 1
  fi
  PG_CLUSTER_BIN="$bin"
  PG_CLUSTER_RUNAS="${runas[*]}"
  PG_CLUSTER_PORT="$port"
  export WARRANT_TEST_PG_URL="postgres://warrant@127.0.0.1:$port/postgres"
  # What a test needs to stop and start this server (the fault test).
  export WARRANT_TEST_PG_CTL="${runas[*]} $bin/pg_ctl -D $PG_CLUSTER_DIR/data -l $PG_CLUSTER_DIR/server.log -w -t 60 -o \"-p $port -c listen_addresses=127.0.0.1 -k $PG_CLUSTER_DIR -c max_connections=200\""
  trap pg_cluster_stop EXIT
}

pg_cluster_stop() {
  [ -n "${PG_CLUSTER_DIR:-}" ] || return 0
  ${PG_CLUSTER_RUNAS:-} "$PG_CLUSTER_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_CLUSTER_DIR"
  PG_CLUSTER_DIR=""
}
