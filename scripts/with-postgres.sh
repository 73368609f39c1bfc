#!/usr/bin/env bash
# with-postgres.sh CMD ARGS... — run CMD against a throwaway PostgreSQL.
#
# Starts a private cluster in a temporary directory (unix socket there,
# TCP on 127.0.0.1 at a free port, trust auth, no fsync), exports
# SPRAWL_TEST_POSTGRES_DSN, runs CMD, then stops the cluster, removes the
# directory and exits with CMD's status.
#
#   scripts/with-postgres.sh go test -race -run Postgres ./inventory/
#
# Needs PostgreSQL's server binaries (Debian: package postgresql, which puts
# them in /usr/lib/postgresql/N/bin). Run as root, it installs that package
# when missing and runs the server as the unprivileged `postgres` user
# (initdb refuses root).
set -euo pipefail

if [ $# -eq 0 ]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

log() { echo "with-postgres: $*" >&2; }

find_bindir() {
	local p
	if p=$(command -v initdb 2>/dev/null) && [ -x "$(dirname "$p")/pg_ctl" ]; then
		dirname "$(readlink -f "$p")"
		return 0
	fi
	# Debian keeps server binaries off PATH; take the newest major version.
	for p in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
		if [ -x "$p/initdb" ] && [ -x "$p/pg_ctl" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

if ! BINDIR=$(find_bindir); then
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		log "PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package"
		exit 3
	fi
	log "installing postgresql (Debian packages)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# Installing may try to start the distribution's own cluster; that one
	# is not used and may fail to start in a container, harmlessly.
	apt-get install -y -qq --no-install-recommends postgresql >/dev/null
	if ! BINDIR=$(find_bindir); then
		log "postgresql installed but initdb not found"
		exit 3
	fi
fi

# The server must not run as root.
RUNAS=()
if [ "$(id -u)" -eq 0 ]; then
	PGUSER_OS=postgres
	if ! id "$PGUSER_OS" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
	fi
	RUNAS=(runuser -u "$PGUSER_OS" --)
fi
# pg runs a server command, as the server's user, from a directory that
# user can read.
pg() { (cd / && "${RUNAS[@]}" "$@"); }

BASE=${TMPDIR:-/tmp}
if [ ${#RUNAS[@]} -gt 0 ]; then
	BASE=/tmp # the postgres user must be able to reach it
fi
DIR=$(mktemp -d "$BASE/sprawl-pg.XXXXXX")
chmod 700 "$DIR"
mkdir "$DIR/data" "$DIR/sock"
if [ ${#RUNAS[@]} -gt 0 ]; then
	chown -R "$PGUSER_OS" "$DIR"
fi

started=0
cleanup() {
	if [ "$started" -eq 1 ]; then
		pg "$BINDIR/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free TCP port on the loopback address.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for _ in $(seq 1 50); do
	p=$((20000 + RANDOM % 30000))
	if port_free "$p"; then
		PORT=$p
		break
	fi
done
if [ -z "$PORT" ]; then
	log "no free port found"
	exit 3
fi

pg "$BINDIR/initdb" -D "$DIR/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 || {
	log "initdb failed:"
	cat "$DIR/initdb.log" >&2
	exit 3
}
if ! pg "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
	-o "-p $PORT -k $DIR/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
	start >/dev/null; then
	log "PostgreSQL failed to start:"
	cat "$DIR/server.log" >&2 || true
	exit 3
fi
started=1

export SPRAWL_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
log "$("$BINDIR/postgres" --version) on 127.0.0.1:$PORT (socket $DIR/sock)"

set +e
"$@"
rc=$?
set -e
exit $rc
