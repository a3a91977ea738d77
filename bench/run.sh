#!/usr/bin/env bash
# Loom Balancer against HAProxy (and no proxy at all), side by side on this machine.
#
#   bench/run.sh            # full run: 3 interleaved rounds, ~8 minutes
#   bench/run.sh --quick    # 1 short round, ~2 minutes: a smoke run, noisier figures
#
# Everything runs on loopback: three nginx HTTP backends and an iperf3 server, then for
# each target (direct to a backend, HAProxy in TCP mode, Loom Balancer from the built
# jar) bulk throughput (iperf3, 1 and 4 streams), new connections per second and
# keep-alive requests per second with their p99 (wrk), 200 clients at once on new
# connections (ab: requests/s, p99, slowest request), proxy CPU per connection and per
# GB, memory per idle proxied connection, and the time from launch to the first
# proxied byte. Rounds interleave the targets, so machine drift hits all alike.
#
# Writes bench/results/run-<time>.{md,csv,png} and copies them to latest.*. Installs
# nothing: it says what to apt-get install when a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=3 RUN_S=8 BULK_S=5 WARM_S=5 IDLE_CONNS=9000 LAUNCHES=3 MODE=full REDIS_N=100000 PG_S=10 AB_N=20000
# Then real clients, interleaved the same way: redis-benchmark against three redis-server,
# pgbench (TPC-B, and a new connection per read-only transaction) against PostgreSQL.
# The warm-up curve: keep-alive requests/s in each of the first 20 seconds of a fresh process.
# BENCH_ONLY=idle (or launch, warmup, load, clients; comma-separated) runs only those parts: for
# quick iterations on one figure. The report then shows only what was measured.
ONLY=${BENCH_ONLY:-launch,idle,warmup,load,clients}
# JVM options for Loom Balancer. By default the runtime image launcher's own (-Xmn24m,
# and on JDK 25+ -XX:+UseCompactObjectHeaders, which the README also recommends for
# java -jar; set below, once the JDK is known); LOOM_JAVA_OPTS=" " runs the JVM's bare
# defaults, LOOM_JAVA_OPTS=-XX:+UseSerialGC tries something else.
LOOM_JAVA_OPTS=${LOOM_JAVA_OPTS:-}
if [[ ${1:-} == --quick ]]; then
    ROUNDS=1 RUN_S=3 BULK_S=2 WARM_S=2 IDLE_CONNS=3000 LAUNCHES=1 MODE=quick REDIS_N=20000 PG_S=3 AB_N=5000
elif [[ -n ${1:-} ]]; then
    echo "usage: bench/run.sh [--quick]" >&2; exit 2
fi
WRK_CONNS=32

# --- tools -------------------------------------------------------------------
missing=()
for tool in haproxy wrk iperf3 gnuplot nginx python3 ss; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ $ONLY == *load* ]]; then
    command -v ab >/dev/null 2>&1 || missing+=(ab)
fi
if [[ $ONLY == *clients* ]]; then
    for tool in redis-server redis-benchmark pgbench; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [[ -x $PG_BIN/initdb ]] || missing+=(postgres)
fi
if ((${#missing[@]})); then
    declare -A package=([haproxy]=haproxy [wrk]=wrk [iperf3]=iperf3 [gnuplot]=gnuplot-nox
                        [nginx]=nginx-light [python3]=python3 [ss]=iproute2 [redis-server]=redis-server
                        [redis-benchmark]=redis-tools [ab]=apache2-utils [pgbench]=postgresql-client [postgres]=postgresql)
    echo "bench: missing ${missing[*]}; install with:" >&2
    echo "  sudo apt-get install $(for t in "${missing[@]}"; do printf '%s ' "${package[$t]}"; done)" >&2
    exit 1
fi
source examples/find-java.sh
JAVA=$(find_java) || exit 1
if [[ -z $LOOM_JAVA_OPTS ]]; then
    LOOM_JAVA_OPTS="-Xmn24m $(jvm_options_for "$JAVA")"
fi
# Neither proxy writes an access log here (HAProxy logs nothing without a log section):
# keep only Loom Balancer's untagged lines, not the per-connection "access" ones.
LOOM_JAVA_OPTS="-Dtinylog.writer.tag=- $LOOM_JAVA_OPTS"
if [[ ! -f target/loom-balancer.jar ]]; then
    echo "bench: building target/loom-balancer.jar"
    ./mvnw -B -q package -DskipTests
fi
JAR=target/loom-balancer.jar
# The runtime image, when built (./mvnw -Pimage package): launch and warm-up are measured
# from it too, with its launcher's JVM options and its AOT cache or CDS archive.
IMAGE=target/image/bin/loom-balancer
IMAGE_RUN="env JAVA_OPTS=-Dtinylog.writer.tag=- $IMAGE" # no access log, as for the jar
LOOM_TARGETS=loom
if [[ -x $IMAGE ]]; then
    LOOM_TARGETS="loom image"
elif [[ $ONLY == *launch* || $ONLY == *warmup* ]]; then
    echo "bench: no runtime image at $IMAGE, so launch and warm-up are measured from the jar only" \
         "(./mvnw -Pimage package builds it)"
fi
PY="python3 bench/lib/bench.py"
source bench/lib/haproxy_redis.sh
TICK=$(getconf CLK_TCK)

# --- ports and processes -------------------------------------------------------
BASE=${BENCH_PORT_BASE:-19100}
N1=$((BASE + 1)) N2=$((BASE + 2)) N3=$((BASE + 3)) IPERF=$((BASE + 10))
HA_HTTP=$((BASE + 21)) HA_BULK=$((BASE + 22)) LOOM_HTTP=$((BASE + 31)) LOOM_BULK=$((BASE + 32))
LAUNCH_PORT=$((BASE + 41))
for port in $N1 $N2 $N3 $IPERF $HA_HTTP $HA_BULK $LOOM_HTTP $LOOM_BULK $LAUNCH_PORT; do
    if [[ -n $(ss -Htln "( sport = :$port )") ]]; then
        echo "bench: port $port is in use; set BENCH_PORT_BASE to a free range" >&2; exit 1
    fi
done
BACKENDS="127.0.0.1:$N1,127.0.0.1:$N2,127.0.0.1:$N3"

WORK=$(mktemp -d /tmp/loom-bench.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # wait_for SECONDS COMMAND...: polls until the command succeeds
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { echo "bench: timed out waiting for: $*" >&2; return 1; }
        sleep 0.05
    done
}
listening() { [[ -n $(ss -Htln "( sport = :$1 )") ]]; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
to_backends() { ss -Htn state established "( dport = :$N1 or dport = :$N2 or dport = :$N3 )" | wc -l; }

cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 20000; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx-body;
    proxy_temp_path $WORK/nginx-proxy;
    fastcgi_temp_path $WORK/nginx-fastcgi;
    uwsgi_temp_path $WORK/nginx-uwsgi;
    scgi_temp_path $WORK/nginx-scgi;
    keepalive_requests 10000000;
    keepalive_timeout 600s;
    client_header_timeout 600s;
    server { listen 127.0.0.1:$N1 reuseport; location / { return 200 "hello from n1\n"; } }
    server { listen 127.0.0.1:$N2 reuseport; location / { return 200 "hello from n2\n"; } }
    server { listen 127.0.0.1:$N3 reuseport; location / { return 200 "hello from n3\n"; } }
}
NGINX

# HAProxy at its best for this machine: one thread per core, splicing for bulk transfers,
# the same backends and health checks as Loom Balancer.
haproxy_config() { # haproxy_config HTTP_PORT BULK_PORT
    cat <<HAPROXY
global
    nbthread $(nproc)
    # room for the 9,000 idle connections within a 20,000-fd limit: 2 fds per
    # connection, plus splice pipes (2 fds each) for the few bulk connections
    maxconn 9400
    maxpipes 200
defaults
    mode tcp
    timeout connect 2s
    timeout client 600s
    timeout server 600s
    option splice-auto
listen http
    bind 127.0.0.1:$1
    balance roundrobin
    server n1 127.0.0.1:$N1 check
    server n2 127.0.0.1:$N2 check
    server n3 127.0.0.1:$N3 check
listen bulk
    bind 127.0.0.1:$2
    server iperf 127.0.0.1:$IPERF check
HAPROXY
}
haproxy_config "$HA_HTTP" "$HA_BULK" > "$WORK/haproxy.cfg"
haproxy_config "$LAUNCH_PORT" "$((LAUNCH_PORT + 1))" > "$WORK/haproxy-launch.cfg"

start() { # start NAME COMMAND...: runs in the background, logs to $WORK/NAME.log
    local name=$1; shift
    "$@" > "$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    eval "PID_${name//-/_}=$!"
}

echo "bench: $MODE run, $ROUNDS round(s); Java: $JAVA; logs in $WORK"
start nginx nginx -c "$WORK/nginx.conf"
start iperf3 iperf3 -s -p "$IPERF"
wait_for 10 listening "$N1"; wait_for 10 listening "$N3"; wait_for 10 listening "$IPERF"

STAMP=$(date -u +%Y%m%d-%H%M%S)
mkdir -p bench/results
RAW=bench/results/run-$STAMP.csv
echo "round,target,figure,value" > "$RAW"
record() { echo "$1,$2,$3,$4" >> "$RAW"; }

wrk_run() { # wrk_run PORT SECONDS [close]: prints "requests req_per_s p99_ms"
    local header=()
    [[ ${3:-} == close ]] && header=(-H "Connection: close")
    wrk -t2 -c"$WRK_CONNS" -d"${2}s" --latency "${header[@]}" "http://127.0.0.1:$1/" | awk '
        / requests in / { requests = $1 }
        /^Requests\/sec:/ { rate = $2 }
        $1 == "99%" { v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
                      p99 = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v }
        END { print requests, rate, p99 }'
}

# rotated ROUND ITEM...: the items one per line, rotated left by ROUND, so that over the
# rounds no item always runs first or last.
rotated() {
    local round=$1
    shift
    local items=("$@")
    printf '%s\n' "${items[@]:round % $#}" "${items[@]:0:round % $#}"
}

# interleaved WHAT TEST...: ROUNDS rounds; in each, every TEST ("bulk_test 1": the function
# and its last argument) runs against every target, in an order rotated each round.
interleaved() {
    local what=$1 round test target order
    shift
    for ((round = 1; round <= ROUNDS; round++)); do
        echo "bench: ${what}round $round of $ROUNDS"
        mapfile -t order < <(rotated "$round" direct haproxy loom)
        for test in "$@"; do
            for target in "${order[@]}"; do ${test% *} "$round" "$target" "${test##* }"; done
        done
    done
}

# --- fresh processes: launch time, and memory per idle proxied connection ----------
launch_cmd() { # the command that starts TARGET on the launch port
    case $1 in
        loom) echo "$JAVA $LOOM_JAVA_OPTS -jar $JAR --listen 127.0.0.1:$LAUNCH_PORT --backend $BACKENDS" ;;
        image) echo "$IMAGE_RUN --listen 127.0.0.1:$LAUNCH_PORT --backend $BACKENDS" ;;
        haproxy) echo "haproxy -db -f $WORK/haproxy-launch.cfg" ;;
    esac
}
port_free() { ! listening "$1"; }
for ((i = 0; i < LAUNCHES; i++)); do
    [[ $ONLY == *launch* ]] || break
    for target in haproxy $LOOM_TARGETS; do
        # shellcheck disable=SC2046 # the command is split into words on purpose
        record 0 "$target" launch_ms "$($PY launch "$LAUNCH_PORT" "$WORK/launch.log" $(launch_cmd "$target"))"
        wait_for 10 port_free "$LAUNCH_PORT"
    done
done

# Idle memory is measured on a fresh process that has served a few seconds of traffic,
# like a proxy in service (code compiled, pools warm), but not the long load tests,
# whose garbage makes a JVM commit heap that then hides the idle connections' cost.
# Both targets get the same treatment.
idle_test() { # idle_test TARGET
    local target=$1 pid before after per
    # shellcheck disable=SC2046
    start "idle_$target" $(launch_cmd "$target")
    pid=$(eval echo "\$PID_idle_$target")
    wait_for 30 listening "$LAUNCH_PORT"
    wrk_run "$LAUNCH_PORT" 2 close > /dev/null
    wrk_run "$LAUNCH_PORT" 2 > /dev/null
    sleep 1 # let the last connections close before the baseline
    before=$(rss_kib "$pid")
    coproc HOLD { $PY idle 127.0.0.1 "$LAUNCH_PORT" "$IDLE_CONNS"; }
    read -r _ <&"${HOLD[0]}"
    wait_for 60 bash -c "[ \$(ss -Htn state established '( dport = :$N1 or dport = :$N2 or dport = :$N3 )' | wc -l) -ge $IDLE_CONNS ]"
    sleep 2 # let the process settle (lazy allocation, GC) before reading its RSS
    after=$(rss_kib "$pid")
    exec {HOLD[1]}>&-
    wait "$HOLD_PID" 2>/dev/null || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
    wait_for 30 port_free "$LAUNCH_PORT"
    wait_for 60 bash -c "[ \$(ss -Htn state established '( dport = :$N1 or dport = :$N2 or dport = :$N3 )' | wc -l) -lt 50 ]"
    per=$(awk -v a="$after" -v b="$before" -v n="$IDLE_CONNS" 'BEGIN { print (a - b) / n }')
    record 0 "$target" idle_kib "$per"
    printf '  %-8s idle      %6.2f KiB per connection (%d connections, RSS %d -> %d KiB)\n' \
        "$target" "$per" "$IDLE_CONNS" "$before" "$after"
}
if [[ $ONLY == *idle* ]]; then
    # One reading swings by a KiB or more from run to run (where the JVM's heap lands in
    # pages it has or has not touched before), so this too is the median of ROUNDS.
    echo "bench: memory with $IDLE_CONNS idle connections (fresh processes, $ROUNDS round(s))"
    for ((round = 1; round <= ROUNDS; round++)); do
        for target in $(rotated "$round" haproxy loom); do idle_test "$target"; done
    done
fi

# A fresh process's first 20 s: keep-alive requests/s second by second (wrk for 1 s, 20
# times), from the moment it listens. "First 10 s" is their mean over the median of the
# next 10, when the JIT has done most of its work.
warmup_test() { # warmup_test TARGET
    local target=$1 pid rate rates=()
    # shellcheck disable=SC2046
    start "warm_$target" $(launch_cmd "$target")
    pid=$(eval echo "\$PID_warm_$target")
    wait_for 30 listening "$LAUNCH_PORT"
    for ((second = 1; second <= 20; second++)); do
        read -r _ rate _ <<< "$(wrk_run "$LAUNCH_PORT" 1)"
        rates+=("$rate")
        record 0 "$target" "warm_s$second" "$rate"
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
    wait_for 30 port_free "$LAUNCH_PORT"
    local ratio
    ratio=$(python3 -c 'import statistics, sys; r = [float(v) for v in sys.argv[1:]]
print(statistics.mean(r[:10]) / statistics.median(r[10:]))' "${rates[@]}")
    record 0 "$target" warmup_ratio "$ratio"
    printf '  %-8s warm-up   first 10 s at %.2f of warm (%s req/s per second)\n' "$target" "$ratio" "${rates[*]}"
}
if [[ $ONLY == *warmup* ]]; then
    # A fresh process's first seconds vary with what the JIT compiler reaches first, so
    # the curve and its ratio are medians of ROUNDS fresh processes per target.
    echo "bench: warm-up curve (fresh processes, 20 s each, $ROUNDS round(s))"
    for ((round = 1; round <= ROUNDS; round++)); do
        # shellcheck disable=SC2086 # LOOM_TARGETS is a list of targets
        for target in $(rotated "$round" haproxy $LOOM_TARGETS); do warmup_test "$target"; done
    done
fi

if [[ $ONLY == *load* ]]; then
# --- the long-running targets ---------------------------------------------------
start haproxy haproxy -db -f "$WORK/haproxy.cfg"
# shellcheck disable=SC2086 # options are split into words on purpose
start loom_http "$JAVA" $LOOM_JAVA_OPTS -jar "$JAR" --listen "127.0.0.1:$LOOM_HTTP" --backend "$BACKENDS"
# shellcheck disable=SC2086
start loom_bulk "$JAVA" $LOOM_JAVA_OPTS -jar "$JAR" --listen "127.0.0.1:$LOOM_BULK" --backend "127.0.0.1:$IPERF"
wait_for 30 listening "$HA_HTTP"; wait_for 30 listening "$LOOM_HTTP"; wait_for 30 listening "$LOOM_BULK"

http_port() { case $1 in direct) echo "$N1" ;; haproxy) echo "$HA_HTTP" ;; loom) echo "$LOOM_HTTP" ;; esac; }
bulk_port() { case $1 in direct) echo "$IPERF" ;; haproxy) echo "$HA_BULK" ;; loom) echo "$LOOM_BULK" ;; esac; }
http_pid() { case $1 in haproxy) echo "$PID_haproxy" ;; loom) echo "$PID_loom_http" ;; *) echo "" ;; esac; }
bulk_pid() { case $1 in haproxy) echo "$PID_haproxy" ;; loom) echo "$PID_loom_bulk" ;; *) echo "" ;; esac; }


http_test() { # http_test ROUND TARGET MODE(close|keepalive)
    local round=$1 target=$2 mode=$3 pid c0 c1 out
    pid=$(http_pid "$target")
    [[ -n $pid ]] && c0=$(cpu_ticks "$pid")
    out=$(wrk_run "$(http_port "$target")" "$RUN_S" "$([[ $mode == close ]] && echo close)")
    read -r requests rate p99 <<< "$out"
    if [[ $mode == close ]]; then
        record "$round" "$target" conn_rate "$rate"; record "$round" "$target" conn_p99 "$p99"
        if [[ -n $pid ]]; then
            c1=$(cpu_ticks "$pid")
            record "$round" "$target" cpu_conn_us "$(awk -v d=$((c1 - c0)) -v t="$TICK" -v n="$requests" 'BEGIN { print d / t * 1e6 / n }')"
        fi
    else
        record "$round" "$target" ka_rate "$rate"; record "$round" "$target" ka_p99 "$p99"
    fi
    printf '  %-8s %-9s %10.0f req/s  p99 %6.2f ms\n' "$target" "$mode" "$rate" "$p99"
}

# ab: 200 clients at once, each request on a new connection (HTTP/1.0), as the issue's
# "ab -n 20000 -c 200": requests/s, and the tail a crowd of clients sees, p99 and the
# slowest request (ab's "longest request"). -r: a reset connection is counted, not fatal.
ab_test() { # ab_test ROUND TARGET CLIENTS
    local round=$1 target=$2 clients=$3 out
    out=$(ab -r -q -n "$AB_N" -c "$clients" "http://127.0.0.1:$(http_port "$target")/" 2>&1 | awk '
        /^Requests per second:/ { rate = $4 }
        /^Failed requests:/ { failed = $3 }
        $1 == "99%" { p99 = $2 }
        $1 == "100%" { slowest = $2 }
        END { print rate, p99, slowest, failed }')
    read -r rate p99 slowest failed <<< "$out"
    if [[ -z $slowest ]]; then
        echo "bench: ab against $target gave no result" >&2; return 1
    fi
    record "$round" "$target" ab_rate "$rate"; record "$round" "$target" ab_p99 "$p99"
    record "$round" "$target" ab_slowest "$slowest"
    printf '  %-8s ab -c %-3d %10.0f req/s  p99 %4d ms  slowest %4d ms  (%d failed)\n' \
        "$target" "$clients" "$rate" "$p99" "$slowest" "$failed"
}

bulk_test() { # bulk_test ROUND TARGET STREAMS
    local round=$1 target=$2 streams=$3 pid c0 c1 out
    pid=$(bulk_pid "$target")
    [[ -n $pid ]] && c0=$(cpu_ticks "$pid")
    out=$(iperf3 -c 127.0.0.1 -p "$(bulk_port "$target")" -t "$BULK_S" -P "$streams" -J |
          python3 -c 'import json,sys; s=json.load(sys.stdin)["end"]["sum_received"]; print(s["bits_per_second"] / 1e9, s["bytes"])')
    read -r gbits bytes <<< "$out"
    record "$round" "$target" "bulk$streams" "$gbits"
    if [[ -n $pid && $streams == 1 ]]; then
        c1=$(cpu_ticks "$pid")
        record "$round" "$target" cpu_gb_ms "$(awk -v d=$((c1 - c0)) -v t="$TICK" -v b="$bytes" 'BEGIN { print d / t * 1e3 / (b / 1e9) }')"
    fi
    printf '  %-8s bulk x%d  %6.2f Gbit/s\n' "$target" "$streams" "$gbits"
}

echo "bench: warming up (${WARM_S}s per target)"
for target in direct haproxy loom; do
    wrk_run "$(http_port "$target")" "$WARM_S" close > /dev/null
    wrk_run "$(http_port "$target")" "$WARM_S" > /dev/null
done

interleaved "" "bulk_test 1" "bulk_test 4" "http_test close" "http_test keepalive" "ab_test 200"
fi

# --- real clients: redis-benchmark and pgbench ---------------------------------
if [[ $ONLY == *clients* ]]; then
R1=$((BASE + 51)) R2=$((BASE + 52)) R3=$((BASE + 53)) HA_REDIS=$((BASE + 54)) LOOM_REDIS=$((BASE + 55))
PG=$((BASE + 61)) HA_PG=$((BASE + 62)) LOOM_PG=$((BASE + 63))
for port in $R1 $R2 $R3 $HA_REDIS $LOOM_REDIS $PG $HA_PG $LOOM_PG; do
    if listening "$port"; then echo "bench: port $port is in use; set BENCH_PORT_BASE to a free range" >&2; exit 1; fi
done
for port in $R1 $R2 $R3; do
    start "redis_$port" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no
done
# PostgreSQL refuses to run as root: as root, its data directory and process are postgres's.
PGDATA_DIR=$(mktemp -d /tmp/loom-bench-pg.XXXXXX)
as_pg=()
if [[ $(id -u) == 0 ]]; then chown postgres "$PGDATA_DIR"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$PG_BIN/initdb" -D "$PGDATA_DIR/data" --auth=trust -U postgres > "$WORK/initdb.log" 2>&1
start postgres "${as_pg[@]}" "$PG_BIN/postgres" -D "$PGDATA_DIR/data" -h 127.0.0.1 -p "$PG" -k "$PGDATA_DIR" \
    -c max_connections=200 -c fsync=off -c synchronous_commit=off
{ haproxy_redis_config "$HA_REDIS" "$R1" "$R2" "$R3"
  printf 'listen pg\n    bind 127.0.0.1:%s\n    server pg 127.0.0.1:%s check\n' "$HA_PG" "$PG"; } > "$WORK/haproxy-clients.cfg"
start haproxy_clients haproxy -db -f "$WORK/haproxy-clients.cfg"
# shellcheck disable=SC2086
start loom_redis "$JAVA" $LOOM_JAVA_OPTS -jar "$JAR" --listen "127.0.0.1:$LOOM_REDIS" \
    --backend "127.0.0.1:$R1,127.0.0.1:$R2,127.0.0.1:$R3"
# shellcheck disable=SC2086
start loom_pg "$JAVA" $LOOM_JAVA_OPTS -jar "$JAR" --listen "127.0.0.1:$LOOM_PG" --backend "127.0.0.1:$PG"
for port in $R1 $R2 $R3 $PG $HA_REDIS $HA_PG $LOOM_REDIS $LOOM_PG; do wait_for 60 listening "$port"; done
wait_for 30 pg_isready -q -h 127.0.0.1 -p "$PG"
pgbench -i -q -s 5 -h 127.0.0.1 -p "$PG" -U postgres postgres > "$WORK/pgbench-init.log" 2>&1
trap 'cleanup; rm -rf "$PGDATA_DIR"' EXIT

redis_port() { case $1 in direct) echo "$R1" ;; haproxy) echo "$HA_REDIS" ;; loom) echo "$LOOM_REDIS" ;; esac; }
pg_port() { case $1 in direct) echo "$PG" ;; haproxy) echo "$HA_PG" ;; loom) echo "$LOOM_PG" ;; esac; }

redis_test() { # redis_test ROUND TARGET PIPELINE: SET and GET requests/s, 50 clients
    local round=$1 target=$2 pipeline=$3 set get
    read -r set get < <(redis-benchmark -h 127.0.0.1 -p "$(redis_port "$target")" -q -n "$REDIS_N" -c 50 \
        -P "$pipeline" -t set,get --csv | awk -F'","' '/^"SET/ { s = $2 } /^"GET/ { g = $2 } END { print s + 0, g + 0 }')
    local suffix=$([[ $pipeline == 1 ]] && echo "" || echo "_p$pipeline")
    record "$round" "$target" "redis_set$suffix" "$set"; record "$round" "$target" "redis_get$suffix" "$get"
    printf '  %-8s redis -P %-3d SET %9.0f  GET %9.0f req/s\n' "$target" "$pipeline" "$set" "$get"
}

pg_test() { # pg_test ROUND TARGET MODE(tpcb|connect)
    local round=$1 target=$2 mode=$3 args=(-c 10 -j 2 -T "$PG_S") tps
    [[ $mode == connect ]] && args+=(-C -S)
    tps=$(pgbench "${args[@]}" -h 127.0.0.1 -p "$(pg_port "$target")" -U postgres postgres 2>&1 |
          awk '/^tps = / { print $3 }')
    record "$round" "$target" "pg_$mode" "$tps"
    printf '  %-8s pgbench %-8s %9.0f tps\n' "$target" "$mode" "$tps"
}

echo "bench: real clients, warming up"
for target in direct haproxy loom; do
    redis-benchmark -h 127.0.0.1 -p "$(redis_port "$target")" -q -n "$REDIS_N" -c 50 -t set,get > /dev/null
    pgbench -c 10 -j 2 -T "$WARM_S" -h 127.0.0.1 -p "$(pg_port "$target")" -U postgres postgres > /dev/null 2>&1
done
interleaved "real clients, " "redis_test 1" "redis_test 16" "pg_test tpcb" "pg_test connect"
fi

# --- report ------------------------------------------------------------------
PARTS="" IMAGE_NOTE=""
if [[ -n ${BENCH_ONLY:-} ]]; then PARTS=" of $BENCH_ONLY only"; fi
if [[ $LOOM_TARGETS == *image* ]]; then IMAGE_NOTE="; runtime image rows: \`${IMAGE_RUN#env }\`"; fi
HEADER="## Loom Balancer vs HAProxy — $MODE run$PARTS, $(date -u '+%Y-%m-%d %H:%M UTC')

$(nproc) cores, $(uname -sr), $("$JAVA" -version 2>&1 | head -1), $(haproxy -v | head -1 | cut -d' ' -f1-3), nginx backends, wrk -t2 -c$WRK_CONNS, ab -n $AB_N -c 200, iperf3;
redis-benchmark -c 50 -n $REDIS_N against 3 redis-server (round-robin), pgbench -c 10 -j 2 -T $PG_S (scale 5) against one PostgreSQL.
Loom Balancer: \`java $LOOM_JAVA_OPTS -jar $JAR\` (no access log, as HAProxy here)$IMAGE_NOTE."
$PY report "$RAW" "bench/results/run-$STAMP.md" "bench/results/run-$STAMP.png" "$HEADER"
cp "bench/results/run-$STAMP.md" bench/results/latest.md
cp "bench/results/run-$STAMP.png" bench/results/latest.png
echo "bench: results in bench/results/run-$STAMP.{md,csv,png} (copied to latest.*)"
