"""Ingest bookkeeping: runs, resume points and rejected records."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import insert, select
from sqlmodel import Session, col

from engagement.settings import redact
from engagement.storage import db
from engagement.storage.models import IngestCheckpoint, IngestRun, RejectedRecord
from engagement.timeutil import utcnow

MAX_RAW = 1_000_000  # a rejected record is kept whole up to this many characters


def start_run(session: Session, source: str, command: str) -> int:
    """Open a run. Runs of the same source still marked running never recorded an end (the process
    was killed): they are closed as abandoned, so the status pages do not show them as live."""
    for stale in session.scalars(
        select(IngestRun).where(col(IngestRun.source) == source, col(IngestRun.status) == "running")
    ):
        stale.status = "abandoned"
        stale.last_error = "no end recorded: the process stopped without finishing (killed?)"
        session.add(stale)
    run = IngestRun(source=source, command=command)
    session.add(run)
    session.flush()
    assert run.id is not None  # assigned by the flush
    return run.id


def finish_run(
    session: Session,
    run_id: int,
    status: str,
    counts: dict[str, int],
    error: str | None = None,
    notes: list[dict[str, Any]] | None = None,
) -> None:
    run = session.get_one(IngestRun, run_id)  # raises NoResultFound, not AttributeError on None
    run.status, run.counts, run.ended_at = status, dict(counts), utcnow()
    run.last_error = redact(error) if error else None
    if notes:
        run.notes = notes
    session.add(run)


class Outcome(Protocol):
    """What a recorded run returns: whether it ended complete, how many records it kept aside, its counts."""

    complete: bool
    rejected: int

    def counts(self) -> dict[str, int]: ...


R = TypeVar("R", bound=Outcome)


def record(
    url: str | None,
    source: str,
    command: str,
    run: Callable[[], R],
    notes: Callable[[R], list[dict[str, Any]]] = lambda result: [],
) -> R:
    """Run ``run`` inside an IngestRun row of ``source`` that says how it ended: failed or
    interrupted (the error kept, redacted), rejected (records kept aside), ok or interrupted."""
    with db.writing(url) as session:
        run_id = start_run(session, source, command)
    try:
        result = run()
    except BaseException as error:
        with db.writing(url) as session:
            finish_run(
                session,
                run_id,
                "interrupted" if isinstance(error, KeyboardInterrupt) else "failed",
                {},
                f"{type(error).__name__}: {error}",
            )
        raise
    status = "rejected" if result.rejected else ("ok" if result.complete else "interrupted")
    with db.writing(url) as session:
        finish_run(session, run_id, status, result.counts(), notes=notes(result))
    return result


def checkpoint(session: Session, source: str) -> str | None:
    row = session.get(IngestCheckpoint, source)
    return row.position if row else None


def save_checkpoint(session: Session, source: str, position: str) -> None:
    """Call inside the transaction that writes the rows the position covers."""
    session.merge(IngestCheckpoint(source=source, position=position, updated_at=utcnow()))


def reject_all(session: Session, source: str, records: list[tuple[str, str, Any]]) -> int:
    """Keep many ``(location, reason, raw)`` records at once (as ``reject`` keeps one): one look-up
    for the locations already kept, not one query (and flush) a record. How many were new.

    A 100,000-line questions CSV with 25,000 bad rows spent 60 % of its import in ``reject``'s
    per-record query before this."""
    texts = [(location, reason, _kept_text(raw)) for location, reason, raw in records]
    kept = _kept_at(session, source, [location for location, _, _ in texts])
    # A location already kept with another record names this one by its digest as well.
    kept.update(
        _kept_at(session, source, [_variant(loc, text) for loc, _, text in texts if kept.get(loc, text) != text])
    )
    rows = []
    for location, reason, text in texts:
        if location in kept and kept[location] != text:
            location = _variant(location, text)
        if location not in kept:
            kept[location] = text
            rows.append({"source": source, "location": location, "reason": reason, "raw": text})
    if rows:  # one executemany: an ORM object a record cost 0.5 ms of attribute set-up
        session.execute(insert(RejectedRecord), rows)
    return len(rows)


def _kept_at(session: Session, source: str, locations: list[str]) -> dict[str, str]:
    """The records already kept at ``locations``: location → kept text."""
    wanted = list(dict.fromkeys(locations))
    kept: dict[str, str] = {}
    for start in range(0, len(wanted), 500):  # under SQLite's 999 bound parameters
        chunk = wanted[start : start + 500]
        kept.update(
            session.execute(
                select(col(RejectedRecord.location), col(RejectedRecord.raw)).where(
                    col(RejectedRecord.source) == source, col(RejectedRecord.location).in_(chunk)
                )
            ).all()
        )
    return kept


def _variant(location: str, text: str) -> str:
    """Where a record is kept when another was kept at its location first: a line of a file edited
    since, another file of the same name. The digest of what is kept makes it the same name each time
    the same record comes again, so it is kept once."""
    return f"{location} [{hashlib.blake2b(text.encode('utf-8', 'replace'), digest_size=4).hexdigest()}]"


def _kept_text(raw: Any) -> str:
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    if len(text) > MAX_RAW:
        text = text[:MAX_RAW] + f"… [{len(text) - MAX_RAW} more characters not kept]"
    return text


def reject(session: Session, source: str, location: str, reason: str, raw: Any) -> bool:
    """Keep a record that could not be stored, with where it was and why; False when this same record
    was already kept there. Another record at a location already taken is kept too, its location then
    followed by its digest (``_variant``): nothing bad is lost because its line number was reused."""
    return reject_all(session, source, [(location, reason, raw)]) == 1
