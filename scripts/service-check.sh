#!/usr/bin/env bash
# make service-check: the example KV server against the real Redis tools.
# Installs redis-tools if missing, builds QuiesceKV in release mode, starts it on a free loopback
# port, checks PING, SET/GET, INCR and DEL with redis-cli, runs redis-benchmark, prints the figures,
# and stops the server with SIGTERM (it must exit 0). Then the same for SET with an AOF fsynced on
# every batch (--appendfsync always).
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT="${SWIFT:-swift}"
REQUESTS="${REQUESTS:-100000}"

if ! command -v redis-cli >/dev/null || ! command -v redis-benchmark >/dev/null; then
    ./scripts/apt-install.sh redis-tools "redis-cli and redis-benchmark, for make service-check"
fi

echo "service-check: building QuiesceKV (release)"
"$SWIFT" build -c release --product QuiesceKV >/dev/null
BIN="$("$SWIFT" build -c release --show-bin-path)/QuiesceKV"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Starts the server with the given flags on a free port; sets SERVER_PID and PORT.
start_server() {
    "$BIN" --port 0 "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
    SERVER_PID=$!
    PORT=""
    for _ in $(seq 1 200); do
        PORT="$(sed -n 's/^QuiesceKV listening on .*:\([0-9]*\)$/\1/p' "$WORK/server.out")"
        [ -n "$PORT" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "service-check: the server did not start:" >&2
    cat "$WORK/server.err" >&2
    exit 1
}

# Stops the server with SIGTERM and insists on a clean exit 0.
stop_server() {
    kill -TERM "$SERVER_PID"
    local status=0
    wait "$SERVER_PID" || status=$?
    SERVER_PID=""
    if [ "$status" != 0 ]; then
        echo "service-check: the server exited with $status after SIGTERM" >&2
        cat "$WORK/server.err" >&2
        exit 1
    fi
}

expect() {  # expect WANT redis-cli args...
    local want="$1"; shift
    local got
    got="$(redis-cli -p "$PORT" "$@")"
    if [ "$got" != "$want" ]; then
        echo "service-check: redis-cli $* gave '$got', expected '$want'" >&2
        exit 1
    fi
    echo "  redis-cli $* -> $got"
}

start_server
echo "service-check: QuiesceKV on 127.0.0.1:$PORT"
expect PONG PING
expect OK SET greeting hello
expect hello GET greeting
expect 1 INCR visits
expect 2 INCR visits
expect 2 DEL greeting visits
expect "" GET greeting

echo "service-check: redis-benchmark -t ping,set,get,incr -P 16 -q -n $REQUESTS"
redis-benchmark -p "$PORT" -t ping,set,get,incr -P 16 -q -n "$REQUESTS" 2>&1 | tr '\r' '\n' | grep 'requests per second'
stop_server

start_server --aof "$WORK/kv.aof" --appendfsync always
echo "service-check: with --aof --appendfsync always (group commit): redis-benchmark -t set -P 16 -q -n $REQUESTS"
redis-benchmark -p "$PORT" -t set -P 16 -q -n "$REQUESTS" 2>&1 | tr '\r' '\n' | grep 'requests per second'
stop_server
echo "service-check: AOF holds $(grep -c '^SET' "$WORK/kv.aof" || true) SET records"
echo "service-check: ok"
