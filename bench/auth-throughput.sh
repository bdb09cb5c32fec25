#!/usr/bin/env bash
# /auth/me and /auth/refresh throughput of one Frontdesk node, on SQLite (default) or on the
# PostgreSQL database named by BENCH_DATABASE_URL. Bounded: each run lasts DURATION seconds.
#
#   bench/auth-throughput.sh                       # SQLite in a fresh temporary directory
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontdesk_bench bench/auth-throughput.sh
#
# Needs wrk (apt-get install wrk) and a release build (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BENCH_BIN:-target/release/frontdesk}
PORT=${PORT:-18280}
DURATION=${DURATION:-10}
CONNS=${CONNS:-"16 64"}
SESSIONS=${SESSIONS:-128}
BASE=http://127.0.0.1:$PORT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[[ -x $BIN ]] || { echo "$BIN is missing: cargo build --release" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

export FRONTDESK_DATA_DIR=$work FRONTDESK_BIND=127.0.0.1:$PORT FRONTDESK_LOG=warn
backend=SQLite
if [[ -n ${BENCH_DATABASE_URL:-} ]]; then
    export FRONTDESK_DATABASE_URL=$BENCH_DATABASE_URL
    backend=PostgreSQL
fi
"$BIN" serve --demo 2>"$work/server.log" &
server=$!
for _ in $(seq 1 600); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/healthz" >/dev/null || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

login() {
    curl -sf "$BASE/auth/login" -H 'Content-Type: application/json' \
        -d '{"username":"emilys","password":"emilyspass"}'
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

access=$(login | field accessToken)
# Fresh sessions for each refresh run: a token spent in one run would be reuse in the next.
new_sessions() {
    for _ in $(seq 1 "$SESSIONS"); do login | field refreshToken; done >"$work/tokens"
}

echo "| backend | endpoint | conns | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
run() { # endpoint conns wrk-args...
    local endpoint=$1 conns=$2; shift 2
    local out
    out=$(wrk -t1 -c"$conns" -d"${DURATION}s" --latency "$@")
    local rps p50 p99 bad
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    echo "| $backend | $endpoint | $conns | $rps | $p50 | $p99 | ${bad:-0} |"
}
for c in $CONNS; do
    run "GET /auth/me" "$c" -H "Authorization: Bearer $access" "$BASE/auth/me"
done
for c in $CONNS; do
    new_sessions
    run "POST /auth/refresh" "$c" -s bench/refresh.lua "$BASE/auth/refresh" -- "$work/tokens"
done
# One answer's body, so an error page is never counted as a success.
curl -sf "$BASE/auth/me" -H "Authorization: Bearer $access" | field username | grep -qx emilys
