#!/usr/bin/env bash
# JVM knobs against round trips: for each set of JVM options given, redis-benchmark (50
# clients, SET and GET, without and with -P 16) through HAProxy and through Loom Balancer
# with those options, interleaved, 3 rounds; prints the medians and Loom ÷ HAProxy.
# Quicker than bench/run.sh for trying one knob; bench/run.sh is what the README quotes.
#
#   bench/knobs.sh "" "-Djdk.readPollers=1" "-Djdk.pollerMode=1"
#
# Three redis-server and HAProxy on loopback ports from $BENCH_PORT_BASE+70 (default
# 19170), stopped on exit. Installs nothing: it says what to apt-get install.
set -euo pipefail
cd "$(dirname "$0")/.."
(($#)) || { echo "usage: bench/knobs.sh JVM_OPTIONS..." >&2; exit 2; }
for tool in haproxy redis-server redis-benchmark redis-cli python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool missing: apt-get install haproxy redis-server redis-tools python3" >&2; exit 1; }
done
source examples/find-java.sh
JAVA=$(find_java)
[[ -f target/loom-balancer.jar ]] || ./mvnw -B -q package -DskipTests
BASE=$((${BENCH_PORT_BASE:-19100} + 70))
R=($((BASE + 1)) $((BASE + 2)) $((BASE + 3))) HA=$((BASE + 4)) LOOM=$((BASE + 5))
N=${REDIS_N:-100000} ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d /tmp/loom-knobs.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
for port in "${R[@]}"; do
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no > "$WORK/redis-$port.log" 2>&1 &
    PIDS+=($!)
done
source bench/lib/haproxy_redis.sh
haproxy_redis_config "$HA" "${R[@]}" > "$WORK/haproxy.cfg"
haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 &
PIDS+=($!)
ready() { redis-cli -p "$1" ping >/dev/null 2>&1; }
wait_ready() { for _ in $(seq 200); do ready "$1" && return 0; sleep 0.05; done; echo "bench: port $1 did not answer" >&2; exit 1; }
for port in "${R[@]}" "$HA"; do wait_ready "$port"; done
rb() { # rb PORT PIPELINE: the mean of SET and GET requests/s
    redis-benchmark -h 127.0.0.1 -p "$1" -q -n "$N" -c 50 -P "$2" -t set,get --csv |
        awk -F'","' '/^"SET/ { s = $2 } /^"GET/ { g = $2 } END { print (s + g) / 2 }'
}
for options in "$@"; do
    # shellcheck disable=SC2086 # the options are split into words on purpose
    "$JAVA" -Dtinylog.writer.tag=- $options -jar target/loom-balancer.jar --listen "127.0.0.1:$LOOM" \
        --backend "127.0.0.1:${R[0]},127.0.0.1:${R[1]},127.0.0.1:${R[2]}" --no-health-check > "$WORK/loom.log" 2>&1 &
    loom=$!
    wait_ready "$LOOM"
    rb "$LOOM" 1 > /dev/null; rb "$HA" 1 > /dev/null; rb "$LOOM" 16 > /dev/null # warm-up
    for ((round = 1; round <= ROUNDS; round++)); do
        echo "$(rb "$HA" 1) $(rb "$LOOM" 1) $(rb "$HA" 16) $(rb "$LOOM" 16)"
    done | python3 -c '
import statistics, sys
rows = [[float(v) for v in line.split()] for line in sys.stdin]
m = [statistics.median(r[i] for r in rows) for i in range(4)]
print("%-40s -c 50: HAProxy %7.0f  Loom %7.0f  (%.2f)   -P 16: HAProxy %8.0f  Loom %8.0f  (%.2f)"
      % (sys.argv[1] or "(JVM defaults)", m[0], m[1], m[1] / m[0], m[2], m[3], m[3] / m[2]))' "$options"
    kill "$loom"; wait "$loom" 2>/dev/null || true
done
