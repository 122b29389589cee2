"""The import curve: our file import beside twarc-csv at 10,000 to 1,000,000 posts of the demo collection.

    python -m bench.import_curve [--sizes 10000 50000 200000 1000000] [--no-postgres] [--runs 3]

For each size, the demo collection (``python -m ingest demo``: X, Bluesky and Mastodon posts in one
file) is imported by whole processes, each into a new database: ``python -m ingest import`` into
SQLite (and into PostgreSQL), and ``twarc2 csv`` (twarc-csv 0.7.2, bench/.venv-twarc) into a CSV
file. The commands take turns within a round, and the round's first command moves on by one each
round, so load from whatever else runs on the machine falls on every side alike. ``--runs`` rounds
where a run takes under a minute, one round beyond.

Each figure is the median over the rounds of a process's wall time and its CPU time (user + system,
its own and its children's: our import's reading process included), and CPU per post. The start-up
line is ``import`` of a 3-line file into a database already at head holding 10,000 posts.

Writes its section of bench/results.md (between its markers) and prints it; ``python -m bench``
runs it as one of its steps.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import import_compare, import_cpu
from bench.pages import commit_and_machine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
SIZES = [10_000, 50_000, 200_000, 1_000_000]
BEGIN, END = "<!-- import curve: begin -->", "<!-- import curve: end -->"
ONE_MINUTE = 60.0
STARTUP_POSTS = 10_000  # the database the start-up is measured on


@dataclass
class Timing:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    # Ours only: the CPU of each half, the writer (the process) and the reader (its child).
    halves: list[tuple[float, float]] = field(default_factory=list)
    # Ours only: when the first batch began to be written, (CPU, seconds since the process started).
    firsts: list[tuple[float, float]] = field(default_factory=list)

    def median(self) -> tuple[float, float]:
        return statistics.median(self.wall), statistics.median(self.cpu)

    def critical(self) -> tuple[float, float, float] | None:
        """Medians of the writer's CPU, the reader's, and the larger of the two per run."""
        if not self.halves:
            return None
        return (
            statistics.median(w for w, _ in self.halves),
            statistics.median(r for _, r in self.halves),
            statistics.median(max(pair) for pair in self.halves),
        )


def timed(command: list[str], env: dict[str, str] | None = None, timing: Timing | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one process and its children (``os.wait4`` counts the children it reaped);
    with ``timing``, the halves ``bench.import_cpu`` reports are added to it."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    halves = import_cpu.parse(errors.decode(errors="replace"))
    if timing is not None and halves is not None:
        timing.halves.append(halves)
    first = import_cpu.first_batch_moments(errors.decode(errors="replace"))
    if timing is not None and first is not None:
        timing.firsts.append(first)
    if process.returncode not in (0, 3):  # 3: some lines kept aside as rejected, which is an import's result
        raise SystemExit(f"{command[:4]} failed ({process.returncode}): {errors[-2000:].decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def ours(path: Path) -> list[str]:
    """``python -m ingest import`` run by ``bench.import_cpu``, which adds each half's CPU on stderr."""
    return [sys.executable, "-m", "bench.import_cpu", "import", "--no-progress", str(path)]


def twarc_csv(twarc2: Path, path: Path, out: Path) -> list[str]:
    return [
        str(twarc2),
        "--bearer-token",
        "unused",
        "csv",
        "--hide-progress",
        "--hide-stats",
        "--extra-input-columns",
        import_compare.NOTE_COLUMNS,
        str(path),
        str(out),
    ]


def generate(posts: int, folder: Path) -> Path:
    path = folder / f"demo-{posts}.jsonl"
    subprocess.run(
        [sys.executable, "-m", "ingest", "demo", "--posts", str(posts), "--out", str(path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return path


def measure_size(posts: int, folder: Path, twarc2: Path, server, runs: int) -> tuple[dict[str, Timing], int]:
    """Each side's timings at ``posts`` posts, and the collection's size in bytes."""
    path = generate(posts, folder)
    sides: dict[str, object] = {"ours, SQLite": "sqlite", "twarc-csv": "twarc"}
    if server is not None:
        sides["ours, PostgreSQL"] = "postgresql"
    timings = {name: Timing() for name in sides}
    names = list(sides)
    round_ = 0
    while round_ < runs:
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            kind = sides[name]
            if kind == "twarc":
                wall, cpu = timed(twarc_csv(twarc2, path, folder / "twarc.csv"))
            elif kind == "sqlite":
                database = folder / f"ours-{round_}.db"
                wall, cpu = timed(ours(path), {"DATABASE_URL": f"sqlite:///{database}"}, timings[name])
                for leftover in folder.glob(f"ours-{round_}.db*"):
                    leftover.unlink()
            else:
                wall, cpu = timed(ours(path), {"DATABASE_URL": server.empty_database()}, timings[name])
            timings[name].wall.append(wall)
            timings[name].cpu.append(cpu)
        round_ += 1
        if round_ == 1 and max(t.wall[0] for t in timings.values()) >= ONE_MINUTE:
            break  # a run of a minute or more: one round
    size = path.stat().st_size
    path.unlink()
    return timings, size


def startup(posts: int, folder: Path, rounds: int = 5) -> tuple[float, float, float, float]:
    """Medians of ``import`` of a 3-line file into a database at head holding ``posts`` posts: its
    wall and CPU, and when its first batch began to be written (CPU, seconds since it started)."""
    path = generate(posts, folder)
    database = folder / "startup.db"
    url = f"sqlite:///{database}"
    timed(ours(path), {"DATABASE_URL": url})
    small = folder / "three-lines.jsonl"
    with path.open("rb") as source, small.open("wb") as target:
        for _ in range(3):
            target.write(source.readline())
    timing = Timing()
    for _ in range(rounds):
        wall, cpu = timed(ours(small), {"DATABASE_URL": url}, timing)
        timing.wall.append(wall)
        timing.cpu.append(cpu)
    path.unlink()
    first_cpu = statistics.median(c for c, _ in timing.firsts)
    first_wall = statistics.median(w for _, w in timing.firsts)
    return (*timing.median(), first_cpu, first_wall)


def run(sizes: list[int], server=None, runs: int = 3) -> dict:
    twarc2 = import_compare.twarc_venv()
    # The line under the heading says when the run began, at which commit: it takes half an hour.
    facts: dict = {"sizes": {}, "load_before": os.getloadavg(), "when": commit_and_machine()}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as name:
        folder = Path(name)
        for posts in sizes:
            print(f"import curve: {posts:,} posts …", flush=True)
            facts["sizes"][posts] = measure_size(posts, folder, twarc2, server, runs)
        facts["startup"] = (STARTUP_POSTS, startup(STARTUP_POSTS, folder))
        shutil.rmtree(folder, ignore_errors=True)
    facts["load_after"] = os.getloadavg()
    return facts


def section(facts: dict) -> str:
    lines = [
        BEGIN,
        "## Import curve: ours beside twarc-csv, 10,000 to 1,000,000 demo posts",
        "",
        facts["when"],
        "",
        "`python -m bench.import_curve` (also a step of `python -m bench`): whole processes, each into "
        "a new database (twarc-csv: a CSV file), taking turns in rounds whose first command moves on "
        "each round; medians over the rounds (3 where a run is under a minute, else 1). CPU is user + "
        "system of the process and its children (our reading process included). The demo collection "
        "holds X, Bluesky and Mastodon posts in one file; twarc-csv converts its X lines only.",
        "",
        "Ours runs in two processes side by side, the reading process and the writer: on two free cores "
        "its wall time is about the CPU of the larger half, the *critical path*. The last column compares "
        "it with twarc-csv's CPU (one process, one core): **≥ 1.5× is the target** (issue #26). On "
        "PostgreSQL the database's work is the server's CPU, which is not counted here, so its rows have "
        "no critical path.",
        "",
        "| posts | file | importer | rounds | wall (s) | CPU (s) | posts/s (wall) | CPU µs/post "
        "| writer, reader CPU (s) | critical path µs/post | speed ÷ twarc-csv's: wall, CPU, critical path |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for posts, (timings, size) in facts["sizes"].items():
        twarc_wall, twarc_cpu = timings["twarc-csv"].median()
        for name, timing in timings.items():
            wall, cpu = timing.median()
            halves, critical_cell, ratio = "–", "–", "–"
            if name != "twarc-csv":
                ratio = f"{twarc_wall / wall:.2f}×, {twarc_cpu / cpu:.2f}×"
                critical = timing.critical()
                if critical is not None:
                    writer, reader, longest = critical
                    halves = f"{writer:,.1f}, {reader:,.1f}"
                    # PostgreSQL's writes are its server's CPU, not counted here: no critical path.
                    if "PostgreSQL" not in name:
                        critical_cell = f"{longest / posts * 1e6:,.0f}"
                        ratio += f", **{twarc_cpu / longest:.2f}×**"
            lines.append(
                f"| {posts:,} | {size / 1e6:,.0f} MB | {name} | {len(timing.wall)} | {wall:,.1f} | {cpu:,.1f} "
                f"| {posts / wall:,.0f} | {cpu / posts * 1e6:,.0f} | {halves} | {critical_cell} | {ratio} |"
            )
    posts, (wall, cpu, first_cpu, first_wall) = facts["startup"]
    lines += [
        "",
        f"Start-up: `import` of a 3-line file into a SQLite database at head holding {posts:,} posts, whole "
        f"process (interpreter, imports, schema check, event, the batch, the summary): {wall:.2f} s wall, "
        f"{cpu:.2f} s CPU (median of 5). Its first batch began {first_wall:.2f} s after the process "
        f"started, at {first_cpu:.2f} s of its CPU (**the target is 0.5 s**).",
        "",
        "Load average (1, 5, 15 min) before: {:.1f}, {:.1f}, {:.1f}; after: {:.1f}, {:.1f}, {:.1f} "
        "(a 2-core machine shared with other work: compare the CPU columns, and the wall ones within a "
        "size).".format(*facts["load_before"], *facts["load_after"]),
        END,
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Put ``text`` in bench/results.md in place of the curve's earlier section, else at its end."""
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in current and END in current:
        before, rest = current.split(BEGIN, 1)
        current = before + text + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    RESULTS.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.import_curve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="posts per collection (a subset)")
    parser.add_argument("--runs", type=int, default=3, help="rounds where a run takes under a minute")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    server = None
    if not args.no_postgres:
        from tests import postgres

        server = postgres.start()
    try:
        text = section(run(args.sizes, server, args.runs))
    finally:
        if server is not None:
            server.stop()
    write_section(text)
    print(text)


if __name__ == "__main__":
    main()
