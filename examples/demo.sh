#!/usr/bin/env bash
# The seed's acceptance test, live: three echo backends on 9001-9003, the balancer on
# 8000, four concurrent requests, and which backend answered each (expect B1 B2 B3 B1).
# Stops everything it started, also on Ctrl-C or on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source examples/find-java.sh
JAVA=$(find_java)

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 8000 9001 9002 9003; do
  if port_busy "$port"; then
    echo "demo: port $port is already in use on 127.0.0.1; stop whatever listens there and run the demo again" >&2
    exit 1
  fi
done

if [ ! -f target/loom-balancer.jar ]; then
  echo "demo: building target/loom-balancer.jar (./mvnw package)"
  ./mvnw -q -B package -DskipTests
fi

pids=()
cleanup() {
  if [ "${#pids[@]}" -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap 'cleanup; rm -f "${log:-}"' EXIT
trap 'exit 130' INT TERM

for i in 1 2 3; do
  "$JAVA" examples/EchoBackend.java "900$i" "B$i" &
  pids+=($!)
done
log=$(mktemp)
"$JAVA" -jar target/loom-balancer.jar 2> >(tee "$log" >&2) &
pids+=($!)

# Wait (at most 30 s) until the backends accept connections and the balancer says it
# listens. The balancer is not probed by connecting: a probe would take a turn in the
# rotation.
wait_until() {
  for _ in $(seq 300); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}
for port in 9001 9002 9003; do
  wait_until port_busy "$port" || { echo "demo: backend on port $port did not start within 30 s" >&2; exit 1; }
done
wait_until grep -q "listening on" "$log" || { echo "demo: the balancer did not start within 30 s" >&2; exit 1; }

echo
echo "Four concurrent requests through the balancer on :8000:"
replies=$("$JAVA" examples/Client.java localhost:8000 -n 4 hello)
echo "$replies"
answered=$(echo "$replies" | grep -o 'from B[0-9]' | awk '{print $2}' | tr '\n' ' ')
echo
if [ "$answered" = "B1 B2 B3 B1 " ]; then
  echo "Rotation 9001 -> 9002 -> 9003 -> 9001: as expected."
else
  echo "demo: expected answers from B1 B2 B3 B1, got: ${answered:-nothing}" >&2
  exit 1
fi
