#!/usr/bin/env bash
# Loom Balancer on a small network of its own: five "hosts" in network namespaces on one
# bridge, joined by veth pairs. Three run the demo echo backend (B1-B3), one runs the
# balancer from the built jar, one is the client.
#
#   bench/lan.sh        # needs root and iproute2's `ip netns`; about 30 s
#
#   client 10.77.0.3 --+                        +-- h1 10.77.0.11:9001 (B1)
#                      +-- bridge (ns "sw") ----+-- h2 10.77.0.12:9001 (B2)
#   lb     10.77.0.2 --+                        +-- h3 10.77.0.13:9001 (B3)
#
# It checks rotation (each client lands on the next backend), failover when one host's
# link is cut (its bridge port goes down: packets vanish, nothing is refused, so only
# timeouts can tell), and failback when the link comes back. The 10.77.0.0/24 addresses
# exist only inside these namespaces; nothing leaves the machine. Every namespace is
# removed on exit, on failure too. Not root, or no `ip netns`: it says so and skips.
#
# Appends its figures as one JSON line to $CHAOS_RESULTS (default
# target/chaos/results.jsonl), which bench/chaos.sh turns into the report.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "lan: skipped: $*"; exit 0; }
[[ $(id -u) == 0 ]] || skip "needs root to create network namespaces (run: sudo bench/lan.sh)"
command -v ip >/dev/null 2>&1 || skip "no 'ip' command; install iproute2 (apt-get install iproute2)"
ip netns list >/dev/null 2>&1 || skip "'ip netns' is not available on this system"
command -v curl >/dev/null 2>&1 || skip "no 'curl' to read the balancer's /status; install it (apt-get install curl)"
JAR=target/loom-balancer.jar
[[ -f $JAR ]] || { echo "lan: $JAR not found; build it first: ./mvnw -DskipTests package" >&2; exit 1; }
. examples/find-java.sh
JAVA=$(find_java)
RESULTS=${CHAOS_RESULTS:-target/chaos/results.jsonl}

# Names unique to this run, so two runs (or a leftover of a killed one) never collide.
TAG=lb$$
NS_SW=$TAG-sw NS_LB=$TAG-lb NS_CL=$TAG-cl
HOSTS=(1 2 3)
LOG=$(mktemp -d)
made=()

cleanup() {
    local ns
    for ns in "${made[@]}"; do
        # Every process in the namespace, then the namespace (its veth ends go with it).
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "lan: FAILED: $*" >&2
    echo "--- balancer log (last 30 lines) ---" >&2
    tail -30 "$LOG/balancer.log" >&2 || true
    exit 1
}

add_ns() { ip netns add "$1"; made+=("$1"); ip -n "$1" link set lo up; }

# A host: its own namespace, eth0 with ADDRESS, and its veth peer PORT on the bridge.
add_host() { # add_host NS ADDRESS PORT
    add_ns "$1"
    ip -n "$1" link add eth0 type veth peer name "$3" netns "$NS_SW"
    ip -n "$1" addr add "$2/24" dev eth0
    ip -n "$1" link set eth0 up
    ip -n "$NS_SW" link set "$3" master br0
    ip -n "$NS_SW" link set "$3" up
}

echo "lan: building the network ($TAG-*)"
add_ns "$NS_SW"
ip -n "$NS_SW" link add br0 type bridge
ip -n "$NS_SW" link set br0 up
add_host "$NS_LB" 10.77.0.2 p-lb
add_host "$NS_CL" 10.77.0.3 p-cl
for h in "${HOSTS[@]}"; do
    add_host "$TAG-h$h" "10.77.0.1$h" "p-h$h"
done

echo "lan: starting three echo backends and the balancer"
for h in "${HOSTS[@]}"; do
    ip netns exec "$TAG-h$h" "$JAVA" examples/EchoBackend.java 9001 "B$h" 0.0.0.0 >"$LOG/b$h.log" 2>&1 &
    disown # killed with its namespace at exit, without a "Killed" line from bash
done
ip netns exec "$NS_LB" "$JAVA" -jar "$JAR" --listen 10.77.0.2:8000 --admin 127.0.0.1:8081 \
    --backend 10.77.0.11:9001,10.77.0.12:9001,10.77.0.13:9001 \
    --health-interval 300ms --health-timeout 300ms --connect-timeout 300ms >"$LOG/balancer.log" 2>&1 &
disown

# One client connection from the client host: its reply line, or "" if none came.
ask() {
    ip netns exec "$NS_CL" bash -c '
        exec 3<>/dev/tcp/10.77.0.2/8000 || exit 0
        echo "$1" >&3
        IFS= read -r -t 5 line <&3 && echo "$line"' _ "$1" 2>/dev/null || true
}
# The backend that answered: "B2" for "Hello from B2: …".
backend_of() { ask "$1" | sed -n 's/^Hello from \(B[0-9]*\):.*/\1/p'; }
status() { ip netns exec "$NS_LB" curl -s -m 2 http://127.0.0.1:8081/status || true; }
backends_up() { status | sed -n 's/.*"backendsUp" : \([0-9]*\).*/\1/p' | head -1; } # the top level's (each service repeats it)
now_ms() { date +%s%3N; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds
    local deadline=$(( $(date +%s) + $1 )) what=$2; shift 2
    until "$@"; do
        (( $(date +%s) < deadline )) || fail "$what did not happen within the time allowed"
        sleep 0.1
    done
}
up_is() { [[ $(backends_up) == "$1" ]]; }
all_backends_answer() { for h in "${HOSTS[@]}"; do ip netns exec "$NS_LB" bash -c "exec 3<>/dev/tcp/10.77.0.1$h/9001" 2>/dev/null || return 1; done; }

wait_for 60 "the three backends listening" all_backends_answer
wait_for 60 "the balancer listening with 3 backends UP" up_is 3
connections=0

# 1. Rotation: six clients, each to the next backend, so each backend twice.
seq=()
for i in 1 2 3 4 5 6; do seq+=("$(backend_of "rotation $i")"); connections=$((connections + 1)); done
echo "lan: rotation: ${seq[*]}"
for h in "${HOSTS[@]}"; do
    [[ $(printf '%s\n' "${seq[@]}" | grep -cx "B$h") == 2 ]] || fail "rotation: B$h did not answer twice: ${seq[*]}"
done
for i in 1 2 3 4 5; do
    [[ ${seq[i]} != "${seq[i-1]}" ]] || fail "rotation: the same backend twice in a row: ${seq[*]}"
done

# 2. Failover: h2's link is cut on the bridge. Clients keep being served by B1 and B3
#    (one may wait a connect timeout before that); the prober takes B2 DOWN.
echo "lan: cutting h2's link"
cut_at=$(now_ms)
ip -n "$NS_SW" link set p-h2 down
slowest=0
served=()
for i in $(seq 1 12); do
    t0=$(now_ms)
    b=$(backend_of "failover $i")
    t=$(( $(now_ms) - t0 )); (( t > slowest )) && slowest=$t
    connections=$((connections + 1))
    [[ $b == B1 || $b == B3 ]] || fail "failover: client $i got '${b:-no answer}' with h2 cut off"
    served+=("$b")
done
wait_for 10 "B2 DOWN" up_is 2
down_ms=$(( $(now_ms) - cut_at ))
echo "lan: failover: ${served[*]} (slowest client ${slowest} ms); B2 DOWN after ${down_ms} ms"
(( slowest <= 300 + 1000 )) || fail "failover: a client waited ${slowest} ms, more than the connect timeout allows"

# 3. Failback: the link comes back; B2 is UP after --rise probes and serves again.
echo "lan: restoring h2's link"
back_at=$(now_ms)
ip -n "$NS_SW" link set p-h2 up
wait_for 20 "B2 UP again" up_is 3
up_ms=$(( $(now_ms) - back_at ))
seq=()
for i in 1 2 3 4 5 6; do seq+=("$(backend_of "failback $i")"); connections=$((connections + 1)); done
echo "lan: failback: ${seq[*]}; B2 UP after ${up_ms} ms"
[[ $(printf '%s\n' "${seq[@]}" | grep -cx B2) == 2 ]] || fail "failback: B2 did not get its share: ${seq[*]}"

grep -q $'\tat ' "$LOG/balancer.log" && fail "a stack trace in the balancer's log"
mkdir -p "$(dirname "$RESULTS")"
printf '{"scenario":"LAN (network namespaces)","connections":%d,"verified":%d,"faultsInjected":"h2 link cut on the bridge, then restored","downAfterMs":%d,"slowestClientDuringCutMs":%d,"upAgainAfterMs":%d}\n' \
    "$connections" "$connections" "$down_ms" "$slowest" "$up_ms" >>"$RESULTS"
echo "lan: passed ($connections connections, every one answered by a live backend)"
