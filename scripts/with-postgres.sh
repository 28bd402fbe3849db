#!/usr/bin/env bash
# with-postgres.sh CMD...: runs CMD with TUTORCORE_PG_DSN pointing at a
# throwaway PostgreSQL server, then stops and deletes the server.
#
# The server lives in a temporary directory (data and unix socket), listens
# on 127.0.0.1 at a free port with trust authentication, and runs as the
# `postgres` user when this script runs as root. It is tuned for tests
# (fsync off): never point it at data you keep.
#
# TUTORCORE_PG_DSN already set: CMD runs against that server as it is.
# No PostgreSQL server binaries: a warning, and CMD runs without the
# variable (the PostgreSQL test cases then say they are skipped).
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi
if [ -n "${TUTORCORE_PG_DSN:-}" ]; then
  exec "$@"
fi

bindir=""
if command -v initdb > /dev/null 2>&1 && command -v pg_ctl > /dev/null 2>&1; then
  bindir=$(dirname "$(command -v initdb)")
else
  # Debian keeps the server binaries out of PATH.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      bindir=$d
      break
    fi
  done
fi
if [ -z "$bindir" ]; then
  echo "with-postgres.sh: no PostgreSQL server found (apt-get install postgresql);" \
    "running without TUTORCORE_PG_DSN" >&2
  exec "$@"
fi

# As root the server runs as `postgres` (initdb refuses root).
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres > /dev/null 2>&1; then
    echo "with-postgres.sh: running as root and there is no 'postgres' user to run the server" >&2
    exit 1
  fi
  if command -v runuser > /dev/null 2>&1; then
    as_owner=(runuser -u postgres --)
  else
    as_owner=(su postgres -s /bin/sh -c '"$0" "$@"')
  fi
fi

# Server commands run from / (the postgres user may not read the caller's directory).
pg() { (cd / && "${as_owner[@]}" "$@"); }

dir=$(mktemp -d "${TMPDIR:-/tmp}/tc-pg.XXXXXX")
started=0
cleanup() {
  if [ "$started" -eq 1 ]; then
    pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ ${#as_owner[@]} -gt 0 ]; then chown postgres: "$dir"; fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
  > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
started=1
if ! pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB" start > /dev/null; then
  cat "$dir/server.log" >&2
  exit 1
fi

export TUTORCORE_PG_DSN="host=$dir port=$port user=postgres dbname=postgres"
echo "with-postgres.sh: PostgreSQL $("$bindir/postgres" -V | awk '{print $3}') at $dir, port $port" >&2
set +e
"$@"
rc=$?
set -e
exit $rc
