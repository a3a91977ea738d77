#!/usr/bin/env bash
# Restarts that refuse nobody: a client loop runs while one balancer process hands over
# to a new one, both ways an operator can do it.
#
#   bench/restart.sh    # needs root and iproute2's `ip netns`; about 40 s
#
# 1. Inherited listener: a holder (bench/lib/socket_holder.py, standing in for systemd's
#    .socket unit) owns the listening socket and starts each balancer with it as
#    standard input (--listen inherited). The new process starts, the old one drains.
#    The socket never closes, so clients queue in the kernel meanwhile.
# 2. SO_REUSEPORT: the new process binds the same port (--reuse-port) beside the old
#    one, then the old one drains. Connections still queued on the old listener when it
#    closes are reset by Linux unless net.ipv4.tcp_migrate_req=1 (Linux 5.14+) moves
#    them to the other listener; both settings are run, and the figures say what each did.
#
# 3. For contrast, a plain restart (stop, then start): it refuses the clients that come
#    while no process listens; its figures are reported, not checked.
#
# Everything runs inside one network namespace this script creates (its own loopback),
# removed on exit. Each client connection is a checked exchange with the demo backend
# (bench/lib/restart_client.py, a few hundred a second for a bounded time). Fails if the
# inherited or the tcp_migrate_req=1 handover refused, reset or corrupted any connection.
# Appends one JSON line per run to $CHAOS_RESULTS for bench/chaos.sh's report.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "restart: skipped: $*"; exit 0; }
[[ $(id -u) == 0 ]] || skip "needs root to create a network namespace (run: sudo bench/restart.sh)"
command -v ip >/dev/null 2>&1 || skip "no 'ip' command; install iproute2 (apt-get install iproute2)"
ip netns list >/dev/null 2>&1 || skip "'ip netns' is not available on this system"
command -v python3 >/dev/null 2>&1 || { echo "restart: python3 is needed (apt-get install python3)" >&2; exit 1; }
JAR=target/loom-balancer.jar
[[ -f $JAR ]] || { echo "restart: $JAR not found; build it first: ./mvnw -DskipTests package" >&2; exit 1; }
. examples/find-java.sh
JAVA=$(find_java)
RESULTS=${CHAOS_RESULTS:-target/chaos/results.jsonl}
SECONDS_OF_LOAD=${RESTART_SECONDS:-8}
RATE=${RESTART_RATE:-300}

NS=rs$$
LOG=$(mktemp -d)
cleanup() {
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    wait 2>/dev/null || true # reap them quietly
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
    echo "restart: FAILED: $*" >&2
    for f in "$LOG"/*.log; do echo "--- $(basename "$f") (last 15 lines) ---" >&2; tail -15 "$f" >&2; done
    exit 1
}
inns() { ip netns exec "$NS" "$@"; }
# Waits up to $1 seconds for $2 to appear in file $3.
await_text() {
    local deadline=$((SECONDS + $1))
    until grep -q "$2" "$3" 2>/dev/null; do
        ((SECONDS < deadline)) || fail "no '$2' in $(basename "$3") after $1 s"
        sleep 0.1
    done
}

ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" "$JAVA" examples/EchoBackend.java 9001 B1 127.0.0.1 >"$LOG/backend.log" 2>&1 &
deadline=$((SECONDS + 30))
until inns bash -c 'exec 3<>/dev/tcp/127.0.0.1/9001' 2>/dev/null; do
    ((SECONDS < deadline)) || fail "the demo backend did not start"
    sleep 0.2
done
LB=("$JAVA" -jar "$JAR" --backend 127.0.0.1:9001 --no-health-check --drain-timeout 10s)

# Runs the client loop in the background; its JSON goes to $LOG/client.json.
start_clients() {
    ip netns exec "$NS" python3 bench/lib/restart_client.py 127.0.0.1 "$1" "$SECONDS_OF_LOAD" "$RATE" >"$LOG/client.json" &
    CLIENTS=$!
}

# Checks and records one run's counts: $1 scenario name, $2 faults injected, $3 "strict" to fail on any loss.
record() {
    wait "$CLIENTS" || fail "the client loop failed"
    local counts; counts=$(cat "$LOG/client.json")
    echo "restart: $1: $counts"
    grep -q $'\tat ' "$LOG"/*.log && fail "a stack trace in a balancer's log"
    if [[ $3 == strict ]]; then
        python3 - "$counts" <<'PY' || fail "$1: a connection was refused, reset, unanswered or corrupted"
import json, sys
c = json.loads(sys.argv[1])
sys.exit(0 if c["verified"] == c["connections"] and c["connections"] > 0 else 1)
PY
    fi
    mkdir -p "$(dirname "$RESULTS")"
    python3 - "$1" "$2" "$counts" >>"$RESULTS" <<'PY'
import json, sys
c = json.loads(sys.argv[3])
line = {"scenario": sys.argv[1], "connections": c["connections"], "verified": c["verified"],
        "closedByFaults": c["refused"] + c["reset"] + c["unanswered"], "corrupted": c["corrupted"],
        "hung": c["timedOut"], "faultsInjected": sys.argv[2],
        "refused": c["refused"], "reset": c["reset"], "unanswered": c["unanswered"]}
print(json.dumps(line))
PY
}

# 1. Inherited listener.
mkfifo "$LOG/control"
ip netns exec "$NS" python3 bench/lib/socket_holder.py 127.0.0.1 8001 "$LOG/control" -- "${LB[@]}" --listen inherited \
    >"$LOG/holder.log" 2>&1 &
HOLDER=$!
exec 4>"$LOG/control"
await_text 10 ready "$LOG/holder.log"
echo "start $LOG/old-inherited.log" >&4
await_text 30 "listening on" "$LOG/old-inherited.log"
start_clients 8001
sleep 2
echo "start $LOG/new-inherited.log" >&4
await_text 30 "listening on" "$LOG/new-inherited.log"
echo stop >&4
await_text 30 stopped "$LOG/holder.log"
record "restart, inherited listener" "old process drained after a new one took the inherited socket" strict
echo quit >&4
exec 4>&-
wait "$HOLDER" || true

# 2. SO_REUSEPORT, with and without tcp_migrate_req.
for migrate in 1 0; do
    inns sysctl -q -w net.ipv4.tcp_migrate_req=$migrate
    # ip netns exec, not the inns function: a function in the background is a subshell,
    # and $! must be the balancer itself (ip netns exec execs it) for the signal to reach it.
    ip netns exec "$NS" "${LB[@]}" --listen 127.0.0.1:8002 --reuse-port 2>"$LOG/old-reuse-$migrate.log" &
    OLD=$!
    await_text 30 "listening on" "$LOG/old-reuse-$migrate.log"
    start_clients 8002
    sleep 2
    ip netns exec "$NS" "${LB[@]}" --listen 127.0.0.1:8002 --reuse-port 2>"$LOG/new-reuse-$migrate.log" &
    NEW=$!
    await_text 30 "listening on" "$LOG/new-reuse-$migrate.log"
    kill -TERM "$OLD"
    wait "$OLD" || fail "the old process did not exit 0"
    mode=$([[ $migrate == 1 ]] && echo strict || echo report)
    record "restart, SO_REUSEPORT, tcp_migrate_req=$migrate" \
        "a new process bound the port beside the old one, then the old one drained" "$mode"
    kill -TERM "$NEW"
    wait "$NEW" || fail "the new process did not exit 0"
done
# 3. For contrast, what both avoid: a plain restart, stop and then start on the same port.
ip netns exec "$NS" "${LB[@]}" --listen 127.0.0.1:8003 2>"$LOG/old-plain.log" &
OLD=$!
await_text 30 "listening on" "$LOG/old-plain.log"
start_clients 8003
sleep 2
kill -TERM "$OLD"
wait "$OLD" || fail "the old process did not exit 0"
ip netns exec "$NS" "${LB[@]}" --listen 127.0.0.1:8003 2>"$LOG/new-plain.log" &
NEW=$!
await_text 30 "listening on" "$LOG/new-plain.log"
record "restart, plain (stop, then start)" "the old process drained and exited, then a new one started" report
kill -TERM "$NEW"
wait "$NEW" || fail "the new process did not exit 0"
echo "restart: passed"
