#!/usr/bin/env python3
"""A bounded client loop for bench/restart.sh: for SECONDS, about RATE connections a
second, each a checked exchange with the demo echo backend (one line out, its
"Hello from NAME: line" back). Prints one JSON object of counts when done.

    restart_client.py HOST PORT SECONDS RATE
"""
import json
import os
import socket
import sys
import time


def exchange(host, port, n):
    line = "restart check %d %s" % (n, os.urandom(6).hex())
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall((line + "\n").encode())
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    if not reply:
        return "unanswered"  # closed before any reply
    text = reply.decode(errors="replace").rstrip("\n")
    return "verified" if text.startswith("Hello from ") and text.endswith(": " + line) else "corrupted"


def main():
    host, port, seconds, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    counts = {"connections": 0, "verified": 0, "refused": 0, "reset": 0, "unanswered": 0, "timedOut": 0,
              "corrupted": 0}
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        started = time.monotonic()
        n += 1
        counts["connections"] += 1
        try:
            counts[exchange(host, port, n)] += 1
        except ConnectionRefusedError:
            counts["refused"] += 1
        except (ConnectionResetError, BrokenPipeError):
            counts["reset"] += 1
        except socket.timeout:
            counts["timedOut"] += 1
        pause = 1.0 / rate - (time.monotonic() - started)
        if pause > 0:
            time.sleep(pause)
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
