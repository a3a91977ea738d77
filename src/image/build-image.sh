#!/usr/bin/env bash
# Builds target/image: a jlink runtime with only the JDK modules the balancer needs
# (derived with jdeps from the built jar), the jar, and bin/loom-balancer to run it.
# Called by `./mvnw -Pimage package`, after the jar is built; runnable by hand too.
set -euo pipefail
cd "$(dirname "$0")/../.."
source examples/find-java.sh
JAVA=$(find_java) || exit 1
JDK=$(cd "$(dirname "$JAVA")/.." && pwd)
for tool in jdeps jlink; do
    [[ -x $JDK/bin/$tool ]] || { echo "build-image: $JDK has no $tool; point JAVA_HOME at a full JDK 21+" >&2; exit 1; }
done
JAR=target/loom-balancer.jar
IMAGE=target/image
[[ -f $JAR ]] || { echo "build-image: $JAR is missing; run ./mvnw -Pimage package" >&2; exit 1; }

# The modules the jar's classes use, as jdeps sees them (java.sql comes with tinylog's
# JDBC writer, jdk.management with the JVM metrics, jdk.unsupported with sun.misc.Signal).
modules=$("$JDK/bin/jdeps" --ignore-missing-deps --multi-release 21 --print-module-deps "$JAR")
rm -rf "$IMAGE"
"$JDK/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --compress zip-6 --generate-cds-archive --output "$IMAGE"
mkdir -p "$IMAGE/app"
cp "$JAR" "$IMAGE/app/"
cp README.md LICENSE "$IMAGE/"
install -m 0755 src/image/bin/loom-balancer "$IMAGE/bin/loom-balancer"
# A class-data sharing archive of the classes start-up loads, recorded during one trial
# start (on a free loopback port, stopped as soon as it listens), so that the image
# starts faster than `java -jar`: the JDK's own archive covers only the JDK's classes.
trial_log=$(mktemp)
"$IMAGE/bin/java" -XX:ArchiveClassesAtExit="$IMAGE/app/loom-balancer.jsa" -jar "$IMAGE/app/loom-balancer.jar" \
    --listen 127.0.0.1:0 --backend 127.0.0.1:9 --no-health-check > /dev/null 2> "$trial_log" &
trial=$!
for _ in $(seq 1 300); do
    grep -q "listening on" "$trial_log" && break
    sleep 0.05
done
kill -TERM "$trial" 2>/dev/null || true
wait "$trial" 2>/dev/null || true
rm -f "$trial_log"
[[ -f $IMAGE/app/loom-balancer.jsa ]] || echo "build-image: no CDS archive was made; the image works, only starts slower" >&2

echo "build-image: $IMAGE with modules $modules: $(du -sh "$IMAGE" | cut -f1)"
