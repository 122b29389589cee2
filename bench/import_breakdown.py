"""Where an import's time goes: `python bench/import_breakdown.py [POSTS | FILE]` (default 1,000,000
demo posts; or an existing twarc2 JSONL file).

Imports into a new SQLite file as ``import-jsonl`` does, timing every statement the writer sends
and every commit, then runs the reading side alone over the same file. Prints:

- the database's share: time inside SQLite per kind of statement, and the commits (writing the
  batch's pages to the WAL and checkpointing them into the database file);
- the reading side alone (parse, normalise, shape: the reading process's work, here without a
  writer beside it);
- for each half, the posts per second it could sustain if the other took no time at all.

An import runs both halves at once on two cores, so it cannot be faster than the slower half.
"""

from __future__ import annotations

import logging
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Engine

from engagement.collection.jsonl import _context, import_files, prepared_lines
from engagement.demo import write_collection
from engagement.rules.sync import sync_event
from engagement.storage import db

KINDS = (  # first match wins
    ("post rows (insert)", re.compile(r"INSERT INTO post \(")),
    ("post rows (update, with the rollup triggers)", re.compile(r"UPDATE post\b")),
    ("entity rows", re.compile(r"INSERT INTO post_entity\b|DELETE FROM post_entity\b")),
    ("rollup counting", re.compile(r"INSERT INTO rollup_")),
    ("authors", re.compile(r"INSERT INTO author\b|UPDATE author\b")),
    ("lookups of stored keys", re.compile(r"^\s*SELECT", re.IGNORECASE)),
)


class StatementClock:
    """Seconds inside the database per kind of statement, and in commits."""

    def __init__(self):
        self.seconds, self.count = Counter(), Counter()
        self._started: dict[int, float] = {}
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)
        self._commit = SQLiteDialect_pysqlite.do_commit
        clock = self

        def do_commit(dialect, connection):
            started = time.perf_counter()
            clock._commit(dialect, connection)
            clock.add("commits (WAL writes, checkpoints)", time.perf_counter() - started)

        SQLiteDialect_pysqlite.do_commit = do_commit

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._before)
        event.remove(Engine, "after_cursor_execute", self._after)
        SQLiteDialect_pysqlite.do_commit = self._commit

    def add(self, kind: str, seconds: float) -> None:
        self.seconds[kind] += seconds
        self.count[kind] += 1

    def _before(self, connection, cursor, statement, parameters, context, executemany):
        self._started[id(connection)] = time.perf_counter()

    def _after(self, connection, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - self._started.pop(id(connection), time.perf_counter())
        self.add(next((kind for kind, pattern in KINDS if pattern.search(statement)), "other"), elapsed)


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    argument = sys.argv[1] if len(sys.argv) > 1 else "1000000"
    with tempfile.TemporaryDirectory() as folder:
        if argument.isdigit():
            path, _ = write_collection(Path(folder) / "bench.jsonl", posts=int(argument))
        else:
            path = Path(argument)
        url = f"sqlite:///{folder}/bench.db"
        with db.writing(url) as session:
            sync_event(session)
            _, attributor = _context(session)

        clock = StatementClock()
        writer_cpu = cpu_seconds(resource.RUSAGE_SELF)
        started = time.perf_counter()
        try:
            summary = import_files([path], url=url, progress=False)
        finally:
            clock.close()
        elapsed = time.perf_counter() - started
        writer_cpu = cpu_seconds(resource.RUSAGE_SELF) - writer_cpu
        reader_cpu = cpu_seconds(resource.RUSAGE_CHILDREN)

        started = time.perf_counter()
        for _chunk in prepared_lines(Path(path), 0, attributor, "sqlite"):
            pass
        reading = time.perf_counter() - started
        db.dispose_engines()

    posts = summary.store.posts_new
    inside = sum(clock.seconds.values())
    print(
        f"import            {posts:,} posts in {elapsed:.1f} s = {posts / elapsed:,.0f} posts/s "
        f"(writer process {writer_cpu:.0f} s of CPU, reading process {reader_cpu:.0f} s)"
    )
    print(f"inside SQLite     {inside:.1f} s ({inside / elapsed:.0%} of the import)")
    for kind, seconds in clock.seconds.most_common():
        print(f"  {kind:46} {seconds:7.1f} s  {clock.count[kind]:6,} calls")
    print(f"reading alone     {reading:.1f} s (one core, no writer beside it)")
    print(
        "ceilings          the database's work alone allows "
        f"{posts / inside:,.0f} posts/s; the reading side alone {posts / reading:,.0f} posts/s"
    )


if __name__ == "__main__":
    main()
