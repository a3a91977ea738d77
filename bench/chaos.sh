#!/usr/bin/env bash
# The reliability suite: chaos, soak, churn, resource exhaustion and hostile input against
# the built jar (./mvnw -Pchaos verify), then the LAN test and the restart handovers in
# network namespaces (bench/lan.sh, bench/restart.sh), then one report of what was
# injected and what came through.
#
#   bench/chaos.sh            # full: about 5 minutes; report in bench/results/chaos-<time>.md
#   bench/chaos.sh --quick    # CI's short version: about 1.5 minutes; report in target/chaos/
#
# Each scenario fails the run if any byte arrived corrupted, any client hung, the
# balancer died or logged a stack trace, or its open files or threads did not come back
# to the baseline. Everything runs on loopback or in namespaces this run creates.
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE=full
if [[ ${1:-} == --quick ]]; then
    SCALE=short
elif [[ -n ${1:-} ]]; then
    echo "usage: bench/chaos.sh [--quick]" >&2; exit 2
fi
command -v python3 >/dev/null 2>&1 || { echo "chaos: python3 is needed for the report (apt-get install python3)" >&2; exit 1; }

mkdir -p target/chaos
RESULTS=$PWD/target/chaos/results.jsonl
rm -f "$RESULTS"
started=$(date +%s)
./mvnw -B -q -Pchaos verify -Dchaos.scale="$SCALE" -Dchaos.results="$RESULTS"
CHAOS_RESULTS=$RESULTS bench/lan.sh
CHAOS_RESULTS=$RESULTS bench/restart.sh
seconds=$(( $(date +%s) - started ))

stamp=$(date -u +%Y%m%d-%H%M%S)
header="# Reliability run $stamp ($SCALE, ${seconds} s)

$(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr), \
$("$(. examples/find-java.sh && find_java)" -version 2>&1 | head -1). Command: \`bench/chaos.sh${1:+ $1}\`."
if [[ $SCALE == full ]]; then
    out=bench/results/chaos-$stamp.md
    python3 bench/lib/chaos_report.py "$RESULTS" "$out" "$header"
    cp "$out" bench/results/chaos-latest.md
else
    out=target/chaos/report.md
    python3 bench/lib/chaos_report.py "$RESULTS" "$out" "$header"
fi
echo "chaos: every scenario passed in ${seconds} s; report: $out"
cat "$out"
