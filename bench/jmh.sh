#!/usr/bin/env bash
# Builds and runs the JMH microbenchmarks (bench/jmh) and keeps the results.
#
#   bench/jmh.sh                      # every benchmark, full settings (~6 minutes)
#   bench/jmh.sh --quick              # one short iteration each (~1 minute): a smoke run
#   bench/jmh.sh Selection -p backends=10000   # any JMH options: a filter, -p, -f, -wi, -i …
#
# Results: bench/results/jmh-<date>.txt (the table) and .json (raw, for tools).
set -euo pipefail
cd "$(dirname "$0")/.."
source examples/find-java.sh
JAVA=$(find_java) || exit 1

quick=()
if [[ ${1:-} == --quick ]]; then
    shift
    quick=(-wi 1 -w 500ms -i 2 -r 500ms)
fi

./mvnw -B -q -f bench/jmh/pom.xml package -DskipTests
mkdir -p bench/results
stamp=$(date -u +%Y%m%d-%H%M%S)
"$JAVA" -jar bench/jmh/target/benchmarks.jar "${quick[@]}" "$@" \
    -rf json -rff "bench/results/jmh-$stamp.json" | tee "bench/results/jmh-$stamp.txt"
echo "results: bench/results/jmh-$stamp.txt and .json"
