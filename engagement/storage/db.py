"""Engines and sessions for ``DATABASE_URL`` (SQLite by default, PostgreSQL when configured).

SQLite is tuned for one writer (the worker) beside many readers (the app): WAL journal, a busy
timeout, foreign keys on. Writes open with ``BEGIN IMMEDIATE`` so that two writers queue on the
busy timeout instead of failing with "database is locked" when a read lock would need upgrading.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from engagement import settings

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 30_000
WRITER_CACHE_KIB = 64 * 1024
# Past this much WAL, a bulk writer's commit waits for the Checkpointer before the next begins. The
# log begins again from its start only when a writer begins with every frame copied; an import
# begins its next batch while the thread still copies the last one, so without the wait the WAL grew
# to the size of the whole database (99 MiB for 20 commits of 5,000 rows; 2.5 GB at a million posts).
# 100 MB is two to four batches of the largest size: one wait per 40,000 demo posts or so.
BULK_WAL_BYTES = 100 << 20
_engines: dict[tuple[str, str], Engine] = {}
_migrated: set[str] = set()
_lock = threading.Lock()
# Held while a process brings a schema up to date: Alembic's set-up is not safe to run in two threads at once
# (many first requests arrive together when an app process starts).
_migrate_lock = threading.Lock()

T = TypeVar("T")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _make_engine(url: str, immediate: bool, autocheckpoint: bool = True) -> Engine:
    if not is_sqlite(url):
        # Times are stored as UTC without a zone: the server must not shift them to its own zone.
        # No JIT: it compiles every query estimated as costly, 20-40 ms each, while ours (aggregates
        # over rollups, at most a few hundred ms) gain nothing from it; it made pages 0.2 s slower.
        options = {"options": "-c timezone=UTC -c jit=off"} if make_url(url).get_backend_name() == "postgresql" else {}
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=options)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if immediate:
            # The writer updates five indexes on post per row: a larger page cache keeps them in memory.
            cursor.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # a Checkpointer's thread does it (see there)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def get_engine(url: str | None = None, *, write: bool = False, migrate: bool = True, bulk: bool = False) -> Engine:
    """The process-wide engine for ``url``; the first call brings the schema up to date. ``bulk``: a
    writers' engine whose commits leave the checkpoints to a ``Checkpointer``."""
    url = url or settings.database_url()
    # Only SQLite needs a writers' engine of its own (BEGIN IMMEDIATE); elsewhere one pool serves both,
    # so that a process holds at most one pool's connections.
    write = write and is_sqlite(url)
    kind = ("bulk" if bulk else "write") if write else "read"
    with _lock:
        engine = _engines.get((url, kind))
        if engine is None:
            engine = _engines[(url, kind)] = _make_engine(url, immediate=write, autocheckpoint=kind != "bulk")
    if migrate and url not in _migrated:
        from engagement.storage.migrate import upgrade

        with _migrate_lock:
            if url not in _migrated:
                upgrade(url)
                _migrated.add(url)
    return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and processes that fork)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _migrated.clear()


@contextmanager
def reading(url: str | None = None) -> Iterator[Session]:
    with Session(get_engine(url)) as session:
        session.info["reading"] = True  # analytics may reuse a figure within this snapshot
        yield session


@contextmanager
def reading_together(url: str | None = None, count: int = 2) -> Iterator[list[Session]]:
    """``count`` read sessions that all see one and the same state of the database, for reading in
    parallel threads (one session a thread) figures that must agree while the worker writes."""
    url = url or settings.database_url()
    engine = get_engine(url)
    for attempt in range(1, 11):
        with ExitStack() as stack:
            # One snapshot: the figures one session reads, the others may reuse (analytics.remembered).
            shared: dict = {}
            sessions = [
                stack.enter_context(Session(engine, info={"reading": True, "snapshot": shared})) for _ in range(count)
            ]
            if not is_sqlite(url):
                _share_postgresql_snapshot(sessions)
            elif not _same_sqlite_snapshot(engine, sessions) and attempt < 10:
                continue  # a commit came between two sessions' first reads: again
            yield sessions
            return


def _share_postgresql_snapshot(sessions: list[Session]) -> None:
    first, *others = sessions
    first.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    snapshot = first.scalar(text("SELECT pg_export_snapshot()"))
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):  # SET TRANSACTION SNAPSHOT takes no parameter
        raise RuntimeError(f"unexpected snapshot id from PostgreSQL: {snapshot!r}")
    for session in others:
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        session.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))


def _same_sqlite_snapshot(engine: Engine, sessions: list[Session]) -> bool:
    """Start each session's read transaction; True if no other connection committed meanwhile (then
    they all read the same snapshot). SQLite cannot hand a snapshot from one connection to another."""
    probe = engine.raw_connection()
    try:
        cursor = probe.cursor()
        version = cursor.execute("PRAGMA data_version").fetchone()[0]
        for session in sessions:
            session.execute(text("SELECT 1 FROM sqlite_master LIMIT 1"))  # the snapshot is taken at the first read
        return cursor.execute("PRAGMA data_version").fetchone()[0] == version
    finally:
        probe.close()


# What the link rollup counts joins rows of several transactions: a reply and the post it answers,
# a mention and the account that holds the handle, a post and its author's group. On PostgreSQL (READ
# COMMITTED) two writers at once would each miss the other's uncommitted rows — a reply and its post
# stored side by side by the stream and an import, neither counting the link; a moderator's override
# applied while the worker stores that author's posts, counted under the old group — and two writers
# storing one new author would collide on its key. (SQLite's writers always take turns.)
COUNTING_LOCK = 180424


def take_turns_counting(session: Session) -> None:
    """Wait for every other writer of counted data (posts, authors, their groups and sessions), and
    keep them waiting until this transaction ends. Call it before the transaction's first write: a
    writer that already holds a row lock could otherwise wait in a circle with one holding this."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": COUNTING_LOCK})


_write_locks: dict[str, threading.RLock] = {}


def _write_lock(url: str) -> threading.RLock | None:
    """SQLite takes one writer at a time, and a writer that finds it busy polls with growing sleeps. Threads
    of one process (the app's browser sessions) therefore queue on a lock of ours first, which hands the
    database over at once instead of after a sleep."""
    if not is_sqlite(url):
        return None
    with _lock:
        return _write_locks.setdefault(url, threading.RLock())


@contextmanager
def writing(url: str | None = None, *, bulk: bool = False) -> Iterator[Session]:
    """A short write transaction: committed on success, rolled back on error. ``bulk``: its commit
    leaves the WAL's checkpoint to a ``Checkpointer`` the caller runs (``checkpointing``)."""
    url = url or settings.database_url()
    lock = _write_lock(url)
    if lock is not None and not lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
        # As SQLite itself would say after its busy timeout (retry_locked and callers know this error).
        raise OperationalError(
            None, None, Exception("database is locked: another writer of this process held it past the busy timeout")
        )
    try:
        with Session(get_engine(url, write=True, bulk=bulk)) as session, session.begin():
            yield session
    finally:
        if lock is not None:
            lock.release()


class Checkpointer:
    """Copies the WAL into the database file from a thread of its own, after each commit of a bulk
    writer (``writing(url, bulk=True)``), instead of in the commit itself.

    SQLite checkpoints when a commit leaves the WAL past 1,000 pages, in the committing connection:
    the copy and its two fsyncs. An import of 50,000 demo posts (127 MB of database, 7 commits) spent
    1.0 s of its writer's time committing, 0.33 s of it CPU; the rest was waiting on the disk, which
    a thread waits through while the writer goes on (sqlite3 lets go of the GIL meanwhile). The copy
    is PASSIVE: it never blocks a writer or a reader, and stops short of frames still read. Past
    BULK_WAL_BYTES of log a commit waits for the copy, so that the WAL begins again and stays
    bounded. The thread starts at the first commit, not before: an import forks its reading process
    first, and a process with a thread alive may not fork (``collection.readahead``)."""

    def __init__(self, url: str):
        self.url = url
        self._log = Path(f"{make_url(url).database}-wal")
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._connected = False  # the thread's connection is open (set by the thread)

    def committed(self) -> None:
        """A bulk commit happened: checkpoint soon; wait for it if the log is past BULK_WAL_BYTES.
        A thread that could not connect is started again at the next commit; meanwhile, past the
        bound, the committing thread copies the log itself (bulk commits never do, so it would
        grow to the size of the database)."""
        if self._thread is None or not self._thread.is_alive():
            self._connected = False
            self._thread = threading.Thread(target=self._run, name="checkpoint", daemon=True)
            self._thread.start()
        self._idle.clear()
        self._wanted.set()
        if self._log_bytes() > BULK_WAL_BYTES:
            while self._thread.is_alive() and not self._idle.wait(timeout=1.0):
                pass
            if not self._idle.is_set():  # the thread ended without a checkpoint: it could not connect
                self._checkpoint_here()

    def _connect(self, what: str):
        """A connection of its own to checkpoint with, or None (said in the log) when it cannot open."""
        try:
            return get_engine(self.url, migrate=False).raw_connection()
        except Exception as error:  # noqa: BLE001 - the data is safe in the WAL; a later copy takes it
            log.warning("%s for %s: %s", what, make_url(self.url).database, error)
            return None

    def _checkpoint_here(self) -> None:
        connection = self._connect("no checkpoint")
        if connection is None:
            return
        try:
            self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection) -> None:
        try:
            # A reader's older snapshot may hold some frames back: the next checkpoint copies them.
            connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except Exception as error:  # noqa: BLE001 - nothing is lost: the WAL holds it, the next tries again
            log.warning("checkpoint of %s failed, to be tried again: %s", make_url(self.url).database, error)

    def close(self) -> None:
        """Checkpoint what is left, and wait for it."""
        if self._thread is None:
            return
        self._stopping = True
        self._wanted.set()
        self._thread.join()
        self._thread = None
        if not self._connected:  # the thread could not connect: its last checkpoint is done here
            self._checkpoint_here()

    def _log_bytes(self) -> int:
        try:
            return self._log.stat().st_size
        except OSError:
            return 0

    def _run(self) -> None:
        connection = self._connect("no checkpointing thread")
        if connection is None:
            return
        self._connected = True
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                stopping = self._stopping
                self._checkpoint(connection)
                if not self._wanted.is_set():
                    self._idle.set()  # no commit came meanwhile: every frame committed was offered
                if stopping:
                    return
        finally:
            connection.close()


@contextmanager
def checkpointing(url: str | None = None) -> Iterator[Checkpointer | None]:
    """A ``Checkpointer`` for the bulk writes of this block (None off SQLite: PostgreSQL's own
    background writer does this); its last checkpoint is done when the block ends."""
    url = url or settings.database_url()
    if not is_sqlite(url):
        yield None
        return
    checkpointer = Checkpointer(url)
    try:
        yield checkpointer
    finally:
        checkpointer.close()


# How long one step of a job over every stored author or post holds the write lock. At a million
# posts each changed author or post moves its counts in the rollups (13 ms an author, 0.5 ms a post),
# and a reclassification or an agenda change done in one transaction held SQLite's write lock for one
# to two minutes, past the busy timeout of every participant submitting a question meanwhile.
STEP_SECONDS = 0.25
# Between steps on SQLite, the database is left alone for a little longer than SQLite's busy handler
# sleeps between its tries (at most 100 ms): without it, writers in other processes (the app's
# participants) found it taken again at each try and waited up to 12 s (measured at a million posts).
STEP_PAUSE_SECONDS = 0.12


def in_steps(
    url: str | None, step: Callable[[Session, int, float], tuple[int, int | None]], seconds: float = STEP_SECONDS
) -> int:
    """Run ``step(session, after, deadline)`` in one short write transaction after another, each
    starting after the position the last one returned, until one returns ``None``; sums the counts
    they return. Readers may see the job half done between steps, never a step half done."""
    url = url or settings.database_url()
    total = 0
    after: int | None = 0
    while after is not None:

        def run(after: int = after) -> tuple[int, int | None]:
            with writing(url) as session:
                return step(session, after, time.monotonic() + seconds)

        done, after = retry_locked(run)
        total += done
        if after is not None and is_sqlite(url):
            time.sleep(STEP_PAUSE_SECONDS)
    return total


def retry_locked(action: Callable[[], T], attempts: int = 5, pause: float = 0.5) -> T:
    """Run ``action`` again when SQLite stays busy past the busy timeout; re-raise otherwise."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except OperationalError as error:
            if "locked" not in str(error).lower() or attempt == attempts:
                raise
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")
