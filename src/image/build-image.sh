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
# JNDI's DNS provider (DNS and SRV lookups through --dns-server) is found by name at run
# time, so jdeps cannot see it.
modules="$modules,jdk.naming.dns"
rm -rf "$IMAGE"
"$JDK/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --compress zip-6 --generate-cds-archive --output "$IMAGE"
mkdir -p "$IMAGE/app"
aot_cache=no
if "$IMAGE/bin/java" -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q ' AOTCacheOutput '; then
    aot_cache=yes
fi
if [[ $aot_cache == yes ]]; then
    # picocli's class files are Java 5 ones, which the AOT cache leaves out, so they would
    # load and run cold at every start; the image gets them rewritten with stack map
    # frames, same bytecode (the program says why and checks every class it rewrote).
    "$JAVA" src/image/UpgradeOldClassFiles.java "$JAR" "$IMAGE/app/loom-balancer.jar"
else
    cp "$JAR" "$IMAGE/app/"
fi
cp README.md LICENSE "$IMAGE/"
install -m 0755 src/image/bin/loom-balancer "$IMAGE/bin/loom-balancer"
# JVM options for the launcher that only some JDKs take: compact object headers (JEP 519,
# a product option from JDK 25; README, "Performance") cut the heap of an idle connection.
# Written before the trial run below, so that its AOT cache is made with the same options.
if "$IMAGE/bin/java" -XX:+UseCompactObjectHeaders -version > /dev/null 2>&1; then
    echo "-XX:+UseCompactObjectHeaders" > "$IMAGE/app/jvm.options"
fi
# Start-up state recorded during one trial run, so that the image starts faster than
# `java -jar`: the JDK's own archive covers only the JDK's classes. On JDK 25+ it is an
# AOT cache (JEPs 483, 514, 515: classes loaded and linked, method profiles), recorded
# while the trial proxies a few hundred requests; on JDK 21-24 a class-data sharing
# archive of the classes start-up loads. docs/experiments.md has the launch times.
trial_dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$trial_dir"' EXIT
start_trial() { # start_trial NAME JVM-OPTIONS ARG...: the image's launcher, so the trial runs
    # with the JVM options a real start has, on free loopback ports
    local name=$1 options=$2; shift 2
    JAVA_OPTS=$options "$IMAGE/bin/loom-balancer" --listen 127.0.0.1:0 "$@" > "$trial_dir/$name.log" 2>&1 &
    echo $! > "$trial_dir/$name.pid"
    for _ in $(seq 1 300); do
        grep -q "listening on" "$trial_dir/$name.log" && return 0
        sleep 0.05
    done
    echo "build-image: the trial run did not start: $(tail -1 "$trial_dir/$name.log")" >&2
    return 1
}
port_of() { # port_of NAME WHAT: the port the trial's log names after WHAT
    sed -n "s|.*$2[^0-9]*127.0.0.1:\([0-9]*\).*|\1|p" "$trial_dir/$1.log" | head -1
}
stop_trial() {
    local pid
    pid=$(cat "$trial_dir/$1.pid")
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
if [[ $aot_cache == yes ]]; then
    # The trial's backend is a second balancer's admin endpoint: the image needs no other
    # HTTP server to train on.
    start_trial backend "" --admin 127.0.0.1:0 --backend 127.0.0.1:9 --no-health-check
    backend_port=$(port_of backend "admin endpoint on http://")
    start_trial trial "-XX:AOTCacheOutput=$IMAGE/app/loom-balancer.aot" --backend "127.0.0.1:$backend_port" \
        --health-interval 100ms
    trial_port=$(port_of trial "listening on")
    for _ in $(seq 1 300); do
        exec 3<> "/dev/tcp/127.0.0.1/$trial_port"
        printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
        cat <&3 > /dev/null
        exec 3<&-
    done
    stop_trial trial
    stop_trial backend
    [[ -f $IMAGE/app/loom-balancer.aot ]] || echo "build-image: no AOT cache was made; the image works, only starts slower" >&2
else
    start_trial trial "-XX:ArchiveClassesAtExit=$IMAGE/app/loom-balancer.jsa" --backend 127.0.0.1:9 --no-health-check
    stop_trial trial
    [[ -f $IMAGE/app/loom-balancer.jsa ]] || echo "build-image: no CDS archive was made; the image works, only starts slower" >&2
fi

# Shell completion (bash and zsh) and the man page, both generated by picocli from the
# command's own definition. The man page is AsciiDoc; with asciidoctor installed it is
# also rendered to man(1) format.
mkdir -p "$IMAGE/completion" "$IMAGE/man"
"$IMAGE/bin/loom-balancer" generate-completion > "$IMAGE/completion/loom-balancer.bash"
"$IMAGE/bin/loom-balancer" gen-manpage --outdir "$IMAGE/man" > /dev/null
rm -f "$IMAGE"/man/loom-balancer-gen*.adoc # pages of the hidden helper commands
if command -v asciidoctor > /dev/null 2>&1; then
    asciidoctor -b manpage -D "$IMAGE/man/man1" "$IMAGE/man/loom-balancer.adoc"
fi

echo "build-image: $IMAGE with modules $modules: $(du -sh "$IMAGE" | cut -f1)"
