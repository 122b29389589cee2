"""A consistent copy of a live SQLite database (SQLite's online backup), for events that stay on one machine.

The app and the worker keep running: the copy is taken in steps, each a short read, and restarts
its step when a writer changes a page already copied. PostgreSQL has its own tools (pg_dump).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from engagement import settings

PAGES_PER_STEP = 4096  # about 16 MB a step: readers and writers go on between steps


class BackupError(ValueError):
    pass


def backup(target: Path, url: str | None = None) -> dict[str, object]:
    """Copy the database at ``url`` (default DATABASE_URL) to ``target``; returns what was copied."""
    url = url or settings.database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError("backup copies SQLite databases; for PostgreSQL use pg_dump (see docs/deploy.md)")
    source_path = Path(parsed.database or "")
    if not parsed.database or parsed.database == ":memory:" or not source_path.exists():
        raise BackupError(f"no SQLite database at {parsed.database!r}")
    target = Path(target)
    if target.resolve() == source_path.resolve():
        raise BackupError("the backup cannot overwrite the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.monotonic()
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy, pages=PAGES_PER_STEP, sleep=0.005)
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        posts = copy.execute("SELECT count(*) FROM post").fetchone()[0]
        questions = copy.execute("SELECT count(*) FROM question").fetchone()[0]
    finally:
        copy.close()
        source.close()
    partial.replace(target)  # only a complete, checked copy takes the name
    return {
        "file": str(target),
        "bytes": target.stat().st_size,
        "posts": posts,
        "questions": questions,
        "seconds": round(time.monotonic() - started, 2),
    }
