"""A bulk writer's commits leave copying the write-ahead log into the database file to a
``Checkpointer``'s thread; what they committed is in the database file once its block ends."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from engagement.storage import db

ROWS = "INSERT INTO scratch (value) SELECT randomblob(1000) FROM json_each(:ids)"


def _copy(template: Path, path: Path) -> str:
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def _commit_pages(url: str, bulk: bool, checkpoints: db.Checkpointer | None = None, commits: int = 3) -> None:
    """A table, then ``commits`` commits of about 1,300 pages each (SQLite checkpoints past 1,000)."""
    with db.writing(url) as session:
        session.execute(text("CREATE TABLE scratch (value BLOB)"))
    for _ in range(commits):
        with db.writing(url, bulk=bulk) as session:
            session.execute(text(ROWS), {"ids": "[" + ",".join(["0"] * 5000) + "]"})
        if checkpoints is not None:
            checkpoints.committed()


def _rows_in_the_file_alone(url: str) -> int:
    """The scratch rows a copy of the database file holds without its write-ahead log."""
    alone = Path(url.removeprefix("sqlite:///") + ".alone")
    shutil.copy(url.removeprefix("sqlite:///"), alone)
    with sqlite3.connect(alone) as connection:
        try:
            return connection.execute("SELECT count(*) FROM scratch").fetchone()[0]
        except sqlite3.OperationalError:  # the table itself is still only in the log
            return 0


def test_bulk_commits_do_not_checkpoint_and_ordinary_ones_do(sqlite_template, tmp_path):
    ordinary, bulk = _copy(sqlite_template, tmp_path / "ordinary.db"), _copy(sqlite_template, tmp_path / "bulk.db")
    _commit_pages(ordinary, bulk=False)
    _commit_pages(bulk, bulk=True)
    wal = {url: Path(url.removeprefix("sqlite:///") + "-wal").stat().st_size for url in (ordinary, bulk)}
    # Checkpointed at each commit, the log is begun again from its start; left alone, it grows.
    assert wal[bulk] > 3 * 5000 * 1000 > 2 * wal[ordinary]
    assert _rows_in_the_file_alone(ordinary) == 15000 and _rows_in_the_file_alone(bulk) == 0
    db.dispose_engines()


def test_what_bulk_commits_wrote_is_in_the_database_file_when_the_checkpointer_is_done(sqlite_template, tmp_path):
    url = _copy(sqlite_template, tmp_path / "test.db")
    with db.checkpointing(url) as checkpoints:
        assert checkpoints is not None
        _commit_pages(url, bulk=True, checkpoints=checkpoints)
    assert _rows_in_the_file_alone(url) == 15000
    with db.reading(url) as session:  # and the database reads as before
        assert session.scalar(text("SELECT count(*) FROM scratch")) == 15000
    db.dispose_engines()


def test_the_log_stays_bounded_when_commits_follow_each_other_at_once(sqlite_template, tmp_path, monkeypatch):
    # Each commit begins the next at once, while the thread still copies the last: the log could
    # not begin again from its start, and grew to the size of the database (about 100 MB here).
    monkeypatch.setattr(db, "BULK_WAL_BYTES", 8 << 20)
    url = _copy(sqlite_template, tmp_path / "test.db")
    with db.checkpointing(url) as checkpoints:
        _commit_pages(url, bulk=True, checkpoints=checkpoints, commits=20)
    wal = Path(url.removeprefix("sqlite:///") + "-wal").stat().st_size
    assert wal < (8 << 20) + 2 * 5000 * 1100
    assert _rows_in_the_file_alone(url) == 100000
    db.dispose_engines()


def test_off_sqlite_there_is_no_checkpointer():
    with db.checkpointing("postgresql://nobody@localhost/none") as checkpoints:
        assert checkpoints is None


def test_the_log_stays_bounded_and_is_copied_when_the_thread_cannot_connect(
    sqlite_template, tmp_path, monkeypatch, caplog
):
    # The thread's connection failed (too many files open, say): it ended, and the bulk commits,
    # which never checkpoint, grew the log by every batch, to the size of the database.
    monkeypatch.setattr(db, "BULK_WAL_BYTES", 8 << 20)
    url = _copy(sqlite_template, tmp_path / "test.db")
    engine = db.get_engine(url, migrate=False)
    real = type(engine).raw_connection

    def failing_in_the_thread(self):
        if threading.current_thread().name == "checkpoint":
            raise sqlite3.OperationalError("unable to open database file")
        return real(self)

    monkeypatch.setattr(type(engine), "raw_connection", failing_in_the_thread)
    with db.checkpointing(url) as checkpoints:
        _commit_pages(url, bulk=True, checkpoints=checkpoints, commits=20)
        wal = Path(url.removeprefix("sqlite:///") + "-wal").stat().st_size
    assert wal < (8 << 20) + 2 * 5000 * 1100
    assert _rows_in_the_file_alone(url) == 100000  # the last copy, done when the block ended
    assert "no checkpointing thread" in caplog.text
    db.dispose_engines()
