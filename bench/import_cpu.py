"""`python -m bench.import_cpu ARGS…`: `python -m ingest ARGS…` in this very process, then the CPU of
each half of an import on stderr's last line — this process (the writer) and its children (the
reading process) — as ``import-cpu writer=<s> reader=<s>``.

An import runs its two halves side by side, so on two free cores its wall time is about the CPU of
the larger half: the critical path the import curve compares with twarc-csv's CPU
(``bench/import_curve.py``). The command line runs exactly as ``python -m ingest`` runs it (same
process, one thread, so the reading process is forked as there); the exit code is passed on.
"""

from __future__ import annotations

import resource
import runpy
import sys

MARK = "import-cpu"


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def parse(stderr: str) -> tuple[float, float] | None:
    """(writer, reader) CPU seconds from the output of a run, or None when it printed none."""
    for line in reversed(stderr.splitlines()):
        if line.startswith(MARK + " "):
            fields = dict(part.split("=", 1) for part in line.split()[1:])
            return float(fields["writer"]), float(fields["reader"])
    return None


def main() -> None:
    sys.argv = ["ingest", *sys.argv[1:]]
    code: int | str | None = 0
    try:
        runpy.run_module("ingest", run_name="__main__", alter_sys=True)
    except SystemExit as stop:
        code = stop.code
    writer, reader = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    print(f"{MARK} writer={writer:.3f} reader={reader:.3f}", file=sys.stderr, flush=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
