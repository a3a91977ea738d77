# shellcheck shell=bash
# HAProxy in front of three redis-server, as bench/run.sh and bench/knobs.sh run it: TCP
# mode, one thread per core, round-robin, health-checked.
#   haproxy_redis_config PORT R1 R2 R3 > haproxy.cfg   # more listen sections may follow
haproxy_redis_config() {
    cat <<HAPROXY
global
    nbthread $(nproc)
defaults
    mode tcp
    timeout connect 2s
    timeout client 600s
    timeout server 600s
listen redis
    bind 127.0.0.1:$1
    balance roundrobin
    server r1 127.0.0.1:$2 check
    server r2 127.0.0.1:$3 check
    server r3 127.0.0.1:$4 check
HAPROXY
}
