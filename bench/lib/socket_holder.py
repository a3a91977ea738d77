#!/usr/bin/env python3
"""Holds a listening socket the way systemd's .socket unit does, and hands it to each
balancer it starts as standard input (StandardInput=socket), for bench/restart.sh.

    socket_holder.py HOST PORT CONTROL_FIFO -- COMMAND...

Reads commands from CONTROL_FIFO, one per line:
    start LOGFILE   start COMMAND with the socket as standard input, stderr to LOGFILE
    stop            SIGTERM the oldest running instance (it drains), and wait for it
    quit            SIGTERM every instance, wait, exit
Prints "ready" when the socket listens, and "stopped PID EXIT" after each stop.
"""
import os
import signal
import socket
import subprocess
import sys


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        sys.exit("usage: socket_holder.py HOST PORT CONTROL_FIFO -- COMMAND...")
    host, port, fifo, command = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[5:]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(1024)
    print("ready", flush=True)
    running = []
    with open(fifo) as control:
        for line in control:
            words = line.split()
            if not words:
                continue
            if words[0] == "start":
                with open(words[1], "wb") as log:
                    running.append(subprocess.Popen(command, stdin=listener.fileno(), stdout=subprocess.DEVNULL,
                                                    stderr=log))
                print("started", running[-1].pid, flush=True)
            elif words[0] == "stop" and running:
                oldest = running.pop(0)
                oldest.send_signal(signal.SIGTERM)
                print("stopped", oldest.pid, oldest.wait(timeout=60), flush=True)
            elif words[0] == "quit":
                break
    for process in running:
        process.send_signal(signal.SIGTERM)
    for process in running:
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
