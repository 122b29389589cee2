"""Where an import's time goes: `python bench/import_breakdown.py [POSTS | FILE ...]` (default 10,000,
50,000, 200,000 and 1,000,000 demo posts, each in turn; or existing files).

Imports into a new SQLite file as ``import-jsonl`` does, timing every statement the writer sends
and every commit, then runs the reading side alone over the same file. Prints:

- the database's share: time inside SQLite per kind of statement, and the commits (writing the
  batch's pages to the WAL and checkpointing them into the database file);
- the reading side alone (parse, normalise, shape: the reading process's work, here without a
  writer beside it), with the CPU of each of those steps;
- the fixed costs a second import pays before its first batch (a new process on the database the
  first filled, now at head): the interpreter, the imports, the schema check, the event files;
- for each half, the posts per second it could sustain if the other took no time at all.

An import runs both halves at once on two cores, so it cannot be faster than the slower half.
"""

from __future__ import annotations

import logging
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Engine

from engagement.collection import jsonl
from engagement.collection.jsonl import _context, import_files, prepared_lines
from engagement.demo import write_collection
from engagement.rules.sync import sync_event
from engagement.storage import db

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10_000, 50_000, 200_000, 1_000_000)
KINDS = (  # first match wins
    ("post rows (insert)", re.compile(r"INSERT INTO post \(")),
    ("post rows (update, with the rollup triggers)", re.compile(r"UPDATE post\b")),
    ("entity rows", re.compile(r"INSERT INTO post_entity\b|DELETE FROM post_entity\b")),
    # Revision 0019's rollup apart (posts per author, session, hour, network and reason): what it adds.
    ("rollup counting: per author and hour (0019)", re.compile(r"INSERT INTO rollup_author_hour\b")),
    # And revision 0022's per author and session (its links follow rollup_link's rows by trigger,
    # counted in the statements that write those).
    ("rollup counting: per author and session (0022)", re.compile(r"INSERT INTO rollup_author_session\b")),
    ("rollup counting", re.compile(r"INSERT INTO rollup_")),
    ("authors", re.compile(r"INSERT INTO author\b|UPDATE author\b")),
    ("lookups of stored keys", re.compile(r"^\s*SELECT", re.IGNORECASE)),
)


class StatementClock:
    """CPU seconds inside the database per kind of statement, and in commits (this thread's CPU: on a
    machine shared with other work, wall time would count the waits for a core too; a commit's wait
    for the disk is not counted)."""

    def __init__(self):
        self.seconds, self.count = Counter(), Counter()
        self._started: dict[int, float] = {}
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)
        self._commit = SQLiteDialect_pysqlite.do_commit
        clock = self

        def do_commit(dialect, connection):
            started = time.thread_time()
            clock._commit(dialect, connection)
            clock.add("commits (WAL writes, checkpoints)", time.thread_time() - started)

        SQLiteDialect_pysqlite.do_commit = do_commit

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._before)
        event.remove(Engine, "after_cursor_execute", self._after)
        SQLiteDialect_pysqlite.do_commit = self._commit

    def add(self, kind: str, seconds: float) -> None:
        self.seconds[kind] += seconds
        self.count[kind] += 1

    def _before(self, connection, cursor, statement, parameters, context, executemany):
        self._started[id(connection)] = time.thread_time()

    def _after(self, connection, cursor, statement, parameters, context, executemany):
        elapsed = time.thread_time() - self._started.pop(id(connection), time.thread_time())
        self.add(next((kind for kind, pattern in KINDS if pattern.search(statement)), "other"), elapsed)


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


STARTUP = """
import resource, sys, time
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
marks = [("interpreter", cpu())]
import ingest.cli, engagement.collection.jsonl
marks.append(("imports (the command line, the import path)", cpu()))
from engagement.storage import db
db.get_engine(sys.argv[1])
marks.append(("schema check (a database at head)", cpu()))
from engagement.rules.sync import ensure_event
with db.writing(sys.argv[1]) as session:
    ensure_event(session)
marks.append(("event files (already loaded)", cpu()))
from engagement.collection.jsonl import _context
with db.reading(sys.argv[1]) as session:
    _context(session)
marks.append(("directory, agenda and terms read", cpu()))
previous = 0.0
for name, at in marks:
    print(f"{name}\t{at - previous:.3f}")
    previous = at
"""


class ReadingClock:
    """CPU seconds of the reading side's steps: parse, normalise, shape (timed around each call)."""

    def __init__(self):
        self.seconds: Counter = Counter()
        self._saved = (jsonl.parse_line, jsonl.normalise_line, jsonl.Shaper.__call__)
        jsonl.parse_line = self._timed("parse (orjson)", self._saved[0])
        jsonl.normalise_line = self._timed("normalise (records of each network)", self._saved[1])
        jsonl.Shaper.__call__ = self._timed("shape (raw JSON, rows, digests)", self._saved[2])

    def _timed(self, kind, function):
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[kind] += time.process_time() - started

        return timed

    def close(self) -> None:
        jsonl.parse_line, jsonl.normalise_line, jsonl.Shaper.__call__ = self._saved


def breakdown(path: Path, folder: Path) -> None:
    url = f"sqlite:///{folder}/bench-{path.stem}.db"
    with db.writing(url) as session:
        sync_event(session)
        classifier, attributor, _ = _context(session)

    clock = StatementClock()
    writer_cpu = cpu_seconds(resource.RUSAGE_SELF)
    children_cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        summary = import_files([path], url=url, progress=False)
    finally:
        clock.close()
    elapsed = time.perf_counter() - started
    writer_cpu = cpu_seconds(resource.RUSAGE_SELF) - writer_cpu
    reader_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - children_cpu

    steps = ReadingClock()
    started, reading_cpu = time.perf_counter(), time.process_time()
    try:
        for _chunk in prepared_lines(Path(path), 0, attributor, "sqlite", classifier):
            pass
    finally:
        steps.close()
    reading, reading_cpu = time.perf_counter() - started, time.process_time() - reading_cpu
    db.dispose_engines()
    startup = subprocess.run(
        [sys.executable, "-c", STARTUP, url], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout

    posts = summary.store.posts_new
    inside = sum(clock.seconds.values())
    print(f"== {path.name}: {path.stat().st_size / 1e6:,.0f} MB, load average {os.getloadavg()[0]:.1f}")
    print(
        f"import            {posts:,} posts in {elapsed:.1f} s = {posts / elapsed:,.0f} posts/s "
        f"(writer process {writer_cpu:.1f} s of CPU, reading process {reader_cpu:.1f} s)"
    )
    print(f"inside SQLite     {inside:.1f} s of CPU ({inside / writer_cpu:.0%} of the writer's)")
    for kind, seconds in clock.seconds.most_common():
        print(f"  {kind:46} {seconds:7.1f} s  {clock.count[kind]:6,} calls")
    print(
        f"writer, Python    {max(writer_cpu - inside, 0):.1f} s of CPU beside SQLite's (store, decoding the reading side's chunks)"
    )
    print(f"reading alone     {reading:.1f} s, {reading_cpu:.1f} s of CPU (one core, no writer beside it)")
    for kind, seconds in steps.seconds.most_common():
        print(f"  {kind:46} {seconds:7.1f} s")
    rest = reading_cpu - sum(steps.seconds.values())
    print(f"  {'the rest (reading lines, chunks, generators)':46} {rest:7.1f} s")
    print(
        "ceilings (CPU)    the writer alone allows "
        f"{posts / writer_cpu:,.0f} posts/s a core; the reading side alone {posts / reading_cpu:,.0f} posts/s a core"
    )
    print("fixed costs of a second import (a new process, the database now at head), CPU seconds:")
    for line in startup.splitlines():
        name, seconds = line.split("\t")
        print(f"  {name:46} {float(seconds):7.2f} s")


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    arguments = sys.argv[1:] or [str(size) for size in SIZES]
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as name:
        folder = Path(name)
        for argument in arguments:
            if argument.isdigit():
                path, _ = write_collection(folder / f"demo-{argument}.jsonl", posts=int(argument))
            else:
                path = Path(argument)
            breakdown(path, folder)
            if argument.isdigit():
                path.unlink()


if __name__ == "__main__":
    main()
