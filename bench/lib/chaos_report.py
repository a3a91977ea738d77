#!/usr/bin/env python3
"""Turns the chaos suite's results (one JSON object per line, one line per scenario) into
the Markdown report bench/chaos.sh writes. Standard library only.

    chaos_report.py RESULTS.jsonl OUT.md HEADER
"""

import json
import sys

COLUMNS = [
    ("scenario", "scenario"),
    ("connections", "connections"),
    ("verified", "delivered intact"),
    ("closedByFaults", "closed by a fault"),
    ("corrupt", "corrupted"),
    ("hung", "hung"),
    ("bytesVerified", "bytes verified (SHA-256)"),
    ("faultsInjected", "faults injected"),
    ("files", "open files before → after"),
    ("threads", "platform threads before → after"),
    ("liveVirtualThreadsAfter", "live virtual threads after"),
]
SHOWN = {key for key, _ in COLUMNS} | {"filesBefore", "filesAfter", "threadsBefore", "threadsAfter", "scale"}


def cell(row, key):
    if key == "files" and "filesBefore" in row:
        return "%d → %d" % (row["filesBefore"], row["filesAfter"])
    if key == "threads" and "threadsBefore" in row:
        return "%d → %d" % (row["threadsBefore"], row["threadsAfter"])
    value = row.get(key, "")
    if key in ("corrupt", "hung") and key not in row and ("verified" in row or "closedByFaults" in row):
        value = 0  # the scenarios that count deliveries fail on any corrupted or hung one
    if isinstance(value, int) and key == "bytesVerified":
        return "{:,} ({:.1f} GiB)".format(value, value / 2**30) if value >= 2**30 else "{:,}".format(value)
    if isinstance(value, int):
        return "{:,}".format(value)
    return str(value).replace("|", "\\|")


def main(results, out_md, header):
    rows = [json.loads(line) for line in open(results, encoding="utf-8") if line.strip()]
    lines = [header, "", "| " + " | ".join(title for _, title in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(cell(row, key) for key, _ in COLUMNS) + " |")
    lines += ["", "Other figures, per scenario:", ""]
    for row in rows:
        extra = {k: v for k, v in row.items() if k not in SHOWN}
        if extra:
            lines.append("- **%s**: %s" % (row["scenario"], ", ".join("%s %s" % (k, v) for k, v in extra.items())))
    with open(out_md, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
