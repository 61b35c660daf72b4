# Sourced by .ci/run (and by a developer who wants the PostgreSQL tests locally:
# `source .ci/postgres.sh`): a PostgreSQL cluster of its own for the tests, in a
# temporary directory, listening on 127.0.0.1 only, with a role and a database for them.
# Exports:
#   AVC_POSTGRES_URL      the tests' database (the PostgreSQL tests run when it is set);
#   AVC_POSTGRES_RESTART  a command that restarts the server (the kill test runs it once
#                         mid-run, as a database that fails over or is restarted);
#   AVC_POSTGRES_STOP     a command that stops the server and removes its directory.
# Debian's server is installed when missing.

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then pg_sudo=""; else pg_sudo="sudo"; fi
    $pg_sudo apt-get update
    $pg_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
fi

pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/avc-postgres.XXXXXX")"
# The server refuses to run as root: as root, it runs as Debian's `postgres` user.
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$pg_dir"
    pg_as="runuser -u postgres --"
else
    pg_as=""
fi
# A free port: the first of a range that no server listens on.
pg_port=55432
while (echo >"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; do pg_port=$((pg_port + 1)); done
pg_password="avc-test-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
echo "$pg_password" >"$pg_dir/password"
chmod 0600 "$pg_dir/password"
[ -z "$pg_as" ] || chown postgres "$pg_dir/password"

$pg_as "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 --pwfile="$pg_dir/password" >"$pg_dir/initdb.log"
$pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=on" start
$pg_as "$pg_bin/psql" -h "$pg_dir" -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE avc_test LOGIN PASSWORD '$pg_password'" \
    -c "CREATE DATABASE avc_test OWNER avc_test"

export AVC_POSTGRES_URL="postgres://avc_test:$pg_password@127.0.0.1:$pg_port/avc_test"
# Immediate: the server stops as after a crash, and recovers from its log on start.
export AVC_POSTGRES_RESTART="$pg_as $pg_bin/pg_ctl -D $pg_dir/data -l $pg_dir/server.log -m immediate -w restart"
export AVC_POSTGRES_STOP="$pg_as $pg_bin/pg_ctl -D $pg_dir/data -m fast -w stop; rm -rf $pg_dir"
