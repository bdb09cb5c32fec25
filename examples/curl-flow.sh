#!/usr/bin/env bash
# The login flow of Frontdesk's /auth API with curl, step by step, checking every answer.
#
# Start a server with the demo users first, then run this script from another terminal:
#
#     cargo run --release -- serve --demo
#     examples/curl-flow.sh
#
# Or all in one shell, with a throwaway data directory:
#
#     cargo build --release
#     FRONTDESK_DATA_DIR="$(mktemp -d)" target/release/frontdesk serve --demo &
#     examples/curl-flow.sh
#     kill %1
#
# The script waits up to WAIT_SECONDS (default 30) for the server's /healthz to answer.
# Environment: BASE (default http://127.0.0.1:8080), FLOW_USERNAME and FLOW_PASSWORD (default
# the demo user emilys / emilyspass). Needs curl, and jq or python3 to read JSON. Prints a
# transcript (tokens shortened) and exits non-zero at the first unexpected answer.
set -euo pipefail

BASE="${BASE:-http://127.0.0.1:8080}"
WAIT_SECONDS="${WAIT_SECONDS:-30}"
USERNAME="${FLOW_USERNAME:-emilys}"
PASSWORD="${FLOW_PASSWORD:-emilyspass}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- helpers ------------------------------------------------------------------------------

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Shortens tokens so the transcript stays readable.
shorten() {
    sed -E -e 's/(eyJ[A-Za-z0-9_-]{9})[A-Za-z0-9_.-]+([A-Za-z0-9_-]{6})/\1…\2/g' \
        -e 's/(fdr_[A-Za-z0-9_-]{8})[A-Za-z0-9_-]+/\1…/g'
}

# json_field KEY: prints the value of top-level KEY of the last response body, or nothing.
if command -v jq >/dev/null; then
    json_field() { jq -r --arg k "$1" 'if has($k) then .[$k] | tostring else empty end' "$work/body"; }
elif command -v python3 >/dev/null; then
    json_field() {
        python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
if sys.argv[2] in d:
    v = d[sys.argv[2]]
    print(v if isinstance(v, str) else json.dumps(v))' "$work/body" "$1"
    }
else
    fail "this script needs jq or python3 to read JSON"
fi

# request METHOD PATH [curl options...]: sends a request, prints it and the answer, and leaves
# the status in $status, the headers in $work/headers and the body in $work/body.
request() {
    local method="$1" path="$2"
    shift 2
    local shown="\$ curl -X $method $BASE$path" arg
    for arg in "$@"; do
        if [[ "$arg" =~ ^[A-Za-z0-9_./:=@-]+$ ]]; then shown+=" $arg"; else shown+=" '$arg'"; fi
    done
    echo "$shown" | shorten
    status="$(curl -sS -X "$method" "$BASE$path" "$@" -D "$work/headers" -o "$work/body" \
        -w '%{http_code}')" || fail "$method $path: no answer from $BASE (is the server running?)"
    grep -i '^set-cookie:' "$work/headers" | tr -d '\r' | sed 's/^/< /' | shorten || true
    echo "< $status $(cat "$work/body")" | shorten
}

expect_status() {
    [[ "$status" == "$1" ]] || fail "expected status $1, got $status: $(cat "$work/body")"
}

# expect_field KEY VALUE: the response body has KEY equal to VALUE.
expect_field() {
    local got
    got="$(json_field "$1")" || fail "the answer is not JSON: $(cat "$work/body")"
    [[ "$got" == "$2" ]] || fail "expected $1 = \"$2\", got \"$got\""
}

# expect_present KEY: the response body has a non-empty KEY.
expect_present() {
    [[ -n "$(json_field "$1")" ]] || fail "the answer has no $1: $(cat "$work/body")"
}

# expect_cookie NAME: a Set-Cookie for NAME with a value, HttpOnly, Path=/ and SameSite=Lax.
expect_cookie() {
    local line
    line="$(grep -i "^set-cookie: $1=[^;]" "$work/headers" | tr -d '\r')" ||
        fail "no $1 cookie was set"
    for attribute in HttpOnly "Path=/" "SameSite=Lax"; do
        [[ "$line" == *"; $attribute"* ]] || fail "the $1 cookie lacks $attribute: $line"
    done
}

step() {
    echo
    echo "== $*"
}

ok() {
    echo "ok: $*"
}

# --- the flow -----------------------------------------------------------------------------

# Wait for the server: it may still be starting (migrations, key generation, demo users).
for ((waited = 0; ; waited++)); do
    curl -sf "$BASE/healthz" >/dev/null && break
    ((waited < WAIT_SECONDS * 2)) ||
        fail "no healthy server at $BASE; start one with: cargo run --release -- serve --demo"
    ((waited > 0)) || echo "waiting for $BASE/healthz ..."
    sleep 0.5
done

step "1. /auth/me without a token"
request GET /auth/me
expect_status 401
expect_field message "Access Token is required"
ok "401 Access Token is required"

step "2. Log in as $USERNAME"
request POST /auth/login -H 'Content-Type: application/json' \
    -d "{\"username\":\"$USERNAME\",\"password\":\"$PASSWORD\"}"
expect_status 200
for key in accessToken refreshToken id username email firstName lastName gender image; do
    expect_present "$key"
done
expect_field username "$USERNAME"
expect_cookie accessToken
expect_cookie refreshToken
access="$(json_field accessToken)"
refresh="$(json_field refreshToken)"
[[ "$refresh" == fdr_* ]] || fail "the refresh token is not an fdr_ token"
ok "200 with every field and both cookies"

step "3. /auth/me with the access token as Bearer"
request GET /auth/me -H "Authorization: Bearer $access"
expect_status 200
expect_field username "$USERNAME"
[[ -z "$(json_field password)" ]] || fail "/auth/me returned a password field"
ok "200 with the profile, no secrets"

step "4. /auth/me with the accessToken cookie"
request GET /auth/me -H "Cookie: accessToken=$access"
expect_status 200
expect_field username "$USERNAME"
ok "200 with the profile"

step "5. Refresh: the refresh token for a new pair"
request POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refreshToken\":\"$refresh\"}"
expect_status 200
expect_present accessToken
expect_present refreshToken
access2="$(json_field accessToken)"
refresh2="$(json_field refreshToken)"
[[ "$refresh2" != "$refresh" ]] || fail "the refresh token was not rotated"
expect_cookie accessToken
expect_cookie refreshToken
ok "200 with a new pair; the old refresh token is rotated out"

step "6. The old refresh token again, within the grace window (a retry), from the cookie"
request POST /auth/refresh -H "Cookie: refreshToken=$refresh"
expect_status 200
expect_field refreshToken "$refresh2"
ok "200 with the same successor: a retry never forks the session"

step "7. /auth/me with the new access token"
request GET /auth/me -H "Authorization: Bearer $access2"
expect_status 200
expect_field username "$USERNAME"
ok "200"

step "8. Log out"
request POST /auth/logout -H "Authorization: Bearer $access2"
expect_status 200
expect_field message "Logged out successfully"
ok "200 Logged out successfully"

step "9. The refresh token after logout"
request POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refreshToken\":\"$refresh2\"}"
expect_status 403
expect_field message "Invalid refresh token"
ok "403 Invalid refresh token: the session has ended"

step "10. The access token after logout"
request GET /auth/me -H "Authorization: Bearer $access2"
expect_status 401
expect_field message "Invalid/Expired Token!"
ok "401 Invalid/Expired Token!"

echo
echo "All steps answered as expected."
