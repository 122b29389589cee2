"""`python -m bench.import_cpu ARGS…`: `python -m ingest ARGS…` in this very process, then the CPU of
each half of an import on stderr's last line — this process (the writer) and its children (the
reading process) — and when the first batch began to be written, in this process's CPU seconds and
in seconds since it started (interpreter start-up included), as ``import-cpu writer=<s> reader=<s>
first_batch_cpu=<s> first_batch_wall=<s>``.

An import runs its two halves side by side, so on two free cores its wall time is about the CPU of
the larger half: the critical path the import curve compares with twarc-csv's CPU
(``bench/import_curve.py``). The command line runs exactly as ``python -m ingest`` runs it (same
process, one thread, so the reading process is forked as there), and ends as it does
(``ingest.__main__.leave``); the exit code is passed on.
"""

from __future__ import annotations

import os
import resource
import sys

MARK = "import-cpu"


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def since_start() -> float:
    """Seconds since this process started, from Linux's own record of it (clock ticks since boot)."""
    with open("/proc/self/stat") as stat:
        started = int(stat.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime") as uptime:
        return float(uptime.read().split()[0]) - started


def first_batch_moments(parsed: str) -> tuple[float, float] | None:
    """(CPU, wall) of the first batch from a run's stderr, or None when it printed none."""
    for line in reversed(parsed.splitlines()):
        if line.startswith(MARK + " "):
            fields = dict(part.split("=", 1) for part in line.split()[1:])
            if "first_batch_cpu" in fields:
                return float(fields["first_batch_cpu"]), float(fields["first_batch_wall"])
    return None


def parse(stderr: str) -> tuple[float, float] | None:
    """(writer, reader) CPU seconds from the output of a run, or None when it printed none."""
    for line in reversed(stderr.splitlines()):
        if line.startswith(MARK + " "):
            fields = dict(part.split("=", 1) for part in line.split()[1:])
            return float(fields["writer"]), float(fields["reader"])
    return None


def main() -> None:
    from engagement.collection import jsonl

    first: list[tuple[float, float]] = []
    store_batch = jsonl._store_batch

    def noted(*args, **kwargs):
        if not first:
            first.append((cpu(resource.RUSAGE_SELF), since_start()))
        return store_batch(*args, **kwargs)

    jsonl._store_batch = noted
    from ingest.__main__ import leave
    from ingest.cli import main as ingest

    code: int | str | None = 0
    try:
        code = ingest(sys.argv[1:])
    except SystemExit as stop:  # the parser's own exits (a usage error)
        code = stop.code
    writer, reader = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    moments = f" first_batch_cpu={first[0][0]:.3f} first_batch_wall={first[0][1]:.3f}" if first else ""
    print(f"{MARK} writer={writer:.3f} reader={reader:.3f}{moments}", file=sys.stderr, flush=True)
    leave(code if isinstance(code, int) else 2)


if __name__ == "__main__":
    main()
