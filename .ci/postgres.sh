# shellcheck shell=bash
# PostgreSQL for the store/postgres tests. Source this file, then:
#
#   start_postgres   # a throwaway server on 127.0.0.1:<free port>; exports DAKENH_POSTGRES_URL
#   ...              # go test ./...
#   stop_postgres    # stops the server and removes its data directory
#
# It uses the Debian binaries (/usr/lib/postgresql/<version>/bin, package "postgresql"). The server
# runs as a non-root user (PostgreSQL refuses root): the invoking user when it is not root, otherwise
# "dakenh-pg", created with useradd when missing. fsync stays on: the tests measure a durable store.

_dakenh_pg_bin=""
_dakenh_pg_dir=""
_dakenh_pg_user=""

# _dakenh_pg_as runs a command as the server's user.
_dakenh_pg_as() {
  if [ "$(id -u)" = "0" ]; then
    # From / : the caller's working directory may not be readable by the server's user.
    (cd / && su -s /bin/sh "$_dakenh_pg_user" -c "$(printf '%q ' "$@")")
  else
    "$@"
  fi
}

# _dakenh_pg_free_port prints a TCP port below the kernel's ephemeral range (so no outgoing
# connection can hold it) that nobody listens on at 127.0.0.1.
_dakenh_pg_free_port() {
  local port low
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$low" -gt 12000 ] || low=32768
  for _ in $(seq 1 50); do
    port=$(( (RANDOM % (low - 11000)) + 10000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "postgres.sh: no free port found" >&2
  return 1
}

start_postgres() {
  local bins
  bins=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bins" ] || [ ! -x "$bins/initdb" ]; then
    echo "postgres.sh: no PostgreSQL binaries under /usr/lib/postgresql/*/bin (install the postgresql package)" >&2
    return 1
  fi
  _dakenh_pg_bin="$bins"

  if [ "$(id -u)" = "0" ]; then
    _dakenh_pg_user="dakenh-pg"
    if ! id "$_dakenh_pg_user" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$_dakenh_pg_user"
    fi
  else
    _dakenh_pg_user="$(id -un)"
  fi

  _dakenh_pg_dir=$(mktemp -d /tmp/dakenh-pg.XXXXXX)
  chmod 755 "$_dakenh_pg_dir"
  mkdir "$_dakenh_pg_dir/data" "$_dakenh_pg_dir/sock"
  if [ "$(id -u)" = "0" ]; then
    chown -R "$_dakenh_pg_user" "$_dakenh_pg_dir"
  fi

  _dakenh_pg_as "$_dakenh_pg_bin/initdb" -D "$_dakenh_pg_dir/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$_dakenh_pg_dir/initdb.log" 2>&1 || {
    cat "$_dakenh_pg_dir/initdb.log" >&2
    return 1
  }
  # Enough connections for parallel test packages; fsync on (the default) for honest numbers.
  # A port can be taken between the check and the bind: try a few.
  local port started=""
  for _ in 1 2 3 4 5; do
    port=$(_dakenh_pg_free_port) || return 1
    if _dakenh_pg_as "$_dakenh_pg_bin/pg_ctl" -D "$_dakenh_pg_dir/data" -l "$_dakenh_pg_dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $_dakenh_pg_dir/sock -c fsync=on -c max_connections=300" start >/dev/null; then
      started=1
      break
    fi
  done
  if [ -z "$started" ]; then
    cat "$_dakenh_pg_dir/server.log" >&2
    return 1
  fi
  _dakenh_pg_as "$_dakenh_pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres dakenh_test || return 1

  export DAKENH_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/dakenh_test?sslmode=disable"
  echo "postgres.sh: PostgreSQL $("$_dakenh_pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

stop_postgres() {
  if [ -n "$_dakenh_pg_dir" ] && [ -d "$_dakenh_pg_dir/data" ]; then
    _dakenh_pg_as "$_dakenh_pg_bin/pg_ctl" -D "$_dakenh_pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "$_dakenh_pg_dir" ]; then
    rm -rf "$_dakenh_pg_dir"
  fi
  _dakenh_pg_dir=""
  unset DAKENH_POSTGRES_URL
}
