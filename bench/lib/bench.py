#!/usr/bin/env python3
"""Helpers for bench/run.sh: hold idle connections, time the first proxied byte, and
turn the raw results into a Markdown table and a chart. Standard library only."""

import csv
import os
import socket
import statistics
import subprocess
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"


def idle(host, port, count):
    """Opens `count` connections and holds them, sending nothing, until stdin closes."""
    sockets = []
    for _ in range(int(count)):
        s = socket.create_connection((host, int(port)), timeout=10)
        sockets.append(s)
    print("ready", flush=True)
    sys.stdin.read()
    for s in sockets:
        s.close()


def launch(port, log, *command):
    """Starts `command`, polls 127.0.0.1:port with an HTTP request until a byte comes
    back, prints the milliseconds that took, and stops the process again. Timing from
    here, not from the calling script, keeps this interpreter's own start-up out of it."""
    with open(log, "a") as out:
        started = time.monotonic_ns()
        process = subprocess.Popen(command, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", int(port)), timeout=1) as s:
                        s.sendall(REQUEST)
                        if s.recv(1):
                            print((time.monotonic_ns() - started) // 1_000_000)
                            return
                except OSError:
                    pass
                time.sleep(0.001)
            sys.exit("no answer on port %s within 30 s: %s" % (port, " ".join(command)))
        finally:
            process.terminate()
            process.wait()


# figure key -> (label, unit, higher is better[, whose figure the Loom Balancer column shows:
# "loom", java -jar, unless "image", the runtime image's launcher])
FIGURES = [
    ("bulk1", "bulk, 1 stream", "Gbit/s", True),
    ("bulk4", "bulk, 4 streams", "Gbit/s", True),
    ("conn_rate", "new connections/s", "conn/s", True),
    ("conn_p99", "new-connection p99", "ms", False),
    ("ka_rate", "keep-alive requests/s", "req/s", True),
    ("ka_p99", "keep-alive p99", "ms", False),
    ("ab_rate", "ab -c 200, a new connection per request", "req/s", True),
    ("ab_p99", "ab -c 200 p99", "ms", False),
    ("ab_slowest", "ab -c 200 slowest request", "ms", False),
    ("idle_kib", "memory per idle proxied connection (RSS)", "KiB", False),
    ("cpu_conn_us", "proxy CPU per new connection", "µs", False),
    ("cpu_gb_ms", "proxy CPU per GB (bulk, 1 stream)", "ms", False),
    ("launch_ms", "launch to first proxied byte", "ms", False),
    ("launch_ms", "launch to first proxied byte, runtime image", "ms", False, "image"),
    ("warmup_ratio", "first 10 s after start ÷ warm (keep-alive req/s)", "ratio", True),
    ("warmup_ratio", "first 10 s after start ÷ warm, runtime image", "ratio", True, "image"),
    ("redis_set", "redis-benchmark SET, 50 clients", "req/s", True),
    ("redis_get", "redis-benchmark GET, 50 clients", "req/s", True),
    ("redis_set_p16", "redis-benchmark SET, 50 clients, -P 16", "req/s", True),
    ("redis_get_p16", "redis-benchmark GET, 50 clients, -P 16", "req/s", True),
    ("pg_tpcb", "pgbench TPC-B, 10 clients", "tps", True),
    ("pg_connect", "pgbench -C -S (a connection per transaction)", "tps", True),
]
TARGETS = [("direct", "direct (no proxy)"), ("haproxy", "HAProxy"), ("loom", "Loom Balancer")]
CURVES = TARGETS + [("image", "Loom Balancer, runtime image")]


def fmt(value):
    if value is None:
        return "—"
    if value >= 100:
        return "{:,.0f}".format(value)
    if value >= 10:
        return "{:.1f}".format(value)
    return "{:.2f}".format(value)


def report(raw_csv, out_md, out_png, header):
    values = {}
    with open(raw_csv) as f:
        for row in csv.DictReader(f):
            values.setdefault((row["figure"], row["target"]), []).append(float(row["value"]))
    median = {k: statistics.median(v) for k, v in values.items()}
    once = ("launch_ms", "idle_kib", "warmup_ratio")
    rounds = max((len(v) for k, v in values.items() if k[0] not in once and not k[0].startswith("warm_s")), default=0)
    lines = [header, "",
             ("Medians of %d interleaved round%s; " % (rounds, "" if rounds == 1 else "s") if rounds else "")
             + "ratio > 1 means Loom Balancer is better.",
             "",
             "| figure | unit | " + " | ".join(label for _, label in TARGETS) + " | Loom vs HAProxy |",
             "|---|---|" + "---|" * (len(TARGETS) + 1)]
    chart = []
    for key, label, unit, higher, *whose in FIGURES:
        loom = whose[0] if whose else "loom"
        cells = [median.get((key, loom if t == "loom" else t)) for t, _ in TARGETS]
        h, l = median.get((key, "haproxy")), median.get((key, loom))
        if all(c is None for c in cells) or (loom == "image" and l is None):
            continue  # not measured in this run (an image row: no image was built)
        ratio = None
        if h and l:
            ratio = l / h if higher else h / l
            chart.append((label, ratio))
        lines.append("| %s | %s | %s | %s |" % (label, unit, " | ".join(fmt(c) for c in cells),
                                                "—" if ratio is None else "%.2f×" % ratio))
    curve = [(t, [median.get(("warm_s%d" % i, t)) for i in range(1, 21)]) for t, _ in CURVES]
    curve = [(t, c) for t, c in curve if any(v is not None for v in c)]
    if curve:
        lines += ["", "Warm-up: keep-alive requests/s in each of the first 20 seconds after start.", "",
                  "| second | " + " | ".join(dict(CURVES)[t] for t, _ in curve) + " |",
                  "|---|" + "---|" * len(curve)]
        for i in range(20):
            lines.append("| %d | %s |" % (i + 1, " | ".join(fmt(c[i]) for _, c in curve)))
    with open(out_md, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    if chart and out_png:
        draw(chart, out_png)


def draw(chart, out_png):
    data = out_png + ".dat"
    with open(data, "w") as f:
        for label, ratio in chart:
            f.write('"%s" %.4f\n' % (label.replace('"', "'"), ratio))
    script = """
set terminal pngcairo size 1100,520 font ",10"
set output "%s"
set title "Loom Balancer vs HAProxy, same machine, same run (> 1: Loom Balancer better)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:1.25<*]
set grid ytics
set xtics rotate by -25 scale 0
set key off
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb "red"
plot "%s" using 2:xtic(1) lc rgb "#3b7dd8"
""" % (out_png, data)
    subprocess.run(["gnuplot"], input=script.encode(), check=True)
    os.remove(data)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"idle": idle, "launch": launch, "report": report}[command](*args)
