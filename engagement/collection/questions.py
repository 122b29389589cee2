# mypy: disable-error-code="call-overload"
# (for SQLModel column expressions: select() of model attributes typed as their Python values)
"""Import session questions from CSV, idempotently: our own columns, or a Slido Q&A export's.

Our columns: ``session`` (a key from agenda.csv or a session's exact title), ``question``, and
optionally ``id``, ``name``, ``group``, ``affiliation``, ``language``, ``votes``, ``status``,
``created_at`` (ISO 8601; without an offset it is read in the event's time zone).

A Slido export is recognised by its headers (matched ignoring case): the question text
(``Question``/``Content``), ``Author``, ``Likes``/``Votes``/``Upvotes``, ``Date`` (and ``Time``),
``Room``/``Event section`` for the session, and the state (``Status``, ``Answered``,
``Highlighted``, ``Archived``). A file with no session column takes ``--session``.

A row that cannot be used is kept as a RejectedRecord with ``file:line`` and the reason.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlmodel import Session, col

from engagement.collection.lines import Overlong, batched, bounded_lines
from engagement.demo.moderation import record_history
from engagement.rules.event import load_event
from engagement.storage import db, runs
from engagement.storage.models import AgendaSession, ModerationAction, Question, QuestionStatus, StakeholderGroup, Vote
from engagement.timeutil import to_utc, utcnow

SOURCE = "import-questions"
MAX_QUESTION_CHARS = 2000
MAX_LINE_CHARS = 1 << 20  # no question row comes near this; a longer line is rejected unread
OVERLONG_MARK = "\x00overlong"
BATCH_ROWS = 1000
MAX_VOTES = 2**31 - 1  # question.votes is an INTEGER column (32-bit on PostgreSQL)
STATUSES = {s.value for s in QuestionStatus}


class RowError(ValueError):
    pass


@dataclass
class QuestionImportSummary:
    rows: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _lookup_tables(session: Session):
    sessions = {}
    for item in session.scalars(select(AgendaSession)):
        sessions[item.key] = item.id
        sessions.setdefault(item.title, item.id)
    groups = {}
    for group in session.scalars(select(StakeholderGroup)):
        groups[group.key] = group.key
        groups[group.label.lower()] = group.key
    return sessions, groups


def parse_row(row: dict[str, str], sessions: dict, groups: dict, zone: str, origin: str) -> dict:
    get = lambda name: (row.get(name) or "").strip()  # noqa: E731
    if any("\x00" in (value or "") for value in row.values() if isinstance(value, str)):
        # PostgreSQL cannot store U+0000 in text: without this the whole batch would fail.
        raise RowError("the row holds a NUL character (U+0000), which no text column can store")
    session_ref, text = get("session"), get("question")
    if not session_ref:
        raise RowError("no session given")
    if session_ref not in sessions:
        raise RowError(f"session {session_ref!r} is neither a key from agenda.csv nor a session's exact title")
    if not text:
        raise RowError("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise RowError(f"the question has {len(text)} characters; at most {MAX_QUESTION_CHARS} are accepted")
    status = (get("status") or "pending").lower().replace(" ", "_").replace("-", "_")
    if status not in STATUSES:
        raise RowError(f"status {get('status')!r} is not one of {', '.join(sorted(STATUSES))}")
    group = get("group")
    if group and group.lower() not in groups and group not in groups:
        raise RowError(f"group {group!r} is not in stakeholder_groups.csv")
    votes = get("votes") or "0"
    # isdigit alone takes "²" (int() then fails and would stop the import); the column is 32-bit.
    if not (votes.isascii() and votes.isdigit()) or int(votes) > MAX_VOTES:
        raise RowError(f"votes {votes!r} is not a whole number from 0 to {MAX_VOTES:,}")
    created = get("created_at")
    try:
        created_at = to_utc(datetime.fromisoformat(created.replace("Z", "+00:00")), zone) if created else None
    except ValueError:
        raise RowError(f"created_at {created!r} is not an ISO 8601 date and time") from None
    external = (
        get("id") or hashlib.sha1("\x1f".join([session_ref, text, created, get("name")]).encode()).hexdigest()[:20]
    )
    return {
        "session_id": sessions[session_ref],
        "text": text,
        "language": get("language") or None,
        "display_name": get("name") or None,
        "group_key": (groups.get(group) or groups.get(group.lower())) if group else None,
        "affiliation": get("affiliation") or None,
        "status": status,
        "votes": int(votes),
        "origin": origin,
        "external_id": f"{origin}:{external}",
        "created_at": created_at,
    }


SLIDO_COLUMNS = {
    "question": ("question", "content", "text", "question text"),
    "name": ("author", "author name", "name", "asked by"),
    "votes": ("likes", "votes", "upvotes", "score"),
    "created_at": ("date", "date created", "created", "created at", "asked at"),
    "time": ("time",),
    "session": ("room", "event section", "section", "session"),
    "status": ("status", "state"),
    "answered": ("answered", "is answered"),
    "highlighted": ("highlighted", "on screen"),
    "archived": ("archived",),
    "language": ("language",),
    "id": ("id", "question id"),
}
SLIDO_STATUS = {
    "incoming": "pending",
    "in review": "pending",
    "review": "pending",
    "pending": "pending",
    "live": "approved",
    "published": "approved",
    "approved": "approved",
    "starred": "approved",
    "highlighted": "on_screen",
    "answered": "answered",
    "archived": "archived",
    "dismissed": "dismissed",
    "deleted": "dismissed",
    "rejected": "dismissed",
}
YES = {"yes", "y", "true", "1", "x"}


def is_own_format(headers: list[str]) -> bool:
    return {"session", "question"} <= set(headers)


def from_slido(row: dict[str, str], default_session: str | None) -> dict[str, str]:
    """A Slido export row in our own columns."""
    by_name = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}

    def pick(field: str) -> str:
        return next((by_name[name] for name in SLIDO_COLUMNS[field] if by_name.get(name)), "")

    created = pick("created_at")
    if created and pick("time") and "T" not in created and ":" not in created:
        created = f"{created} {pick('time')}"
    status = SLIDO_STATUS.get(pick("status").lower(), "")
    if pick("highlighted").lower() in YES:
        status = "on_screen"
    elif pick("answered").lower() in YES:
        status = "answered"
    elif pick("archived").lower() in YES:
        status = "archived"
    return {
        "id": pick("id"),
        "session": pick("session") or default_session or "",
        "question": pick("question"),
        "name": pick("name"),
        "votes": pick("votes") or "0",
        "status": status or pick("status"),
        "created_at": created,
        "language": pick("language"),
    }


def _moderated(session: Session) -> set[int]:
    """Questions moderators acted on or participants voted for in the app: read once per import."""
    return set(session.scalars(select(ModerationAction.question_id).distinct())) | set(
        session.scalars(select(Vote.question_id).distinct())
    )


def _existing(session: Session, external_ids: list[str]) -> dict[str, Question]:
    found: dict[str, Question] = {}
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start : start + 500]
        for q in session.scalars(select(Question).where(col(Question.external_id).in_(chunk))):
            assert q.external_id is not None  # selected by it
            found[q.external_id] = q
    return found


def store_rows(session: Session, rows, *, origin: str, zone: str, summary: QuestionImportSummary) -> None:
    """Store ``(location, row)`` pairs in the caller's transaction; bad rows (a RowError in place of
    the row, when the file could not even be read there) become RejectedRecords."""
    sessions, groups = _lookup_tables(session)
    moderated = _moderated(session)
    parsed, rejected = [], []
    for where, row in rows:
        summary.rows += 1
        try:
            if isinstance(row, RowError):
                raise row
            parsed.append(parse_row(row, sessions, groups, zone, origin))
        except RowError as error:
            rejected.append((where, error.args[0], error.args[1] if len(error.args) > 1 else dict(row)))
            summary.rejected += 1
    runs.reject_all(session, SOURCE, rejected)
    # One look-up for the rows' ids, not one query (and flush) a row.
    known = _existing(session, list({values["external_id"] for values in parsed}))
    # New questions go in as one executemany, not as ORM objects: building a Question cost about
    # 0.5 ms (SQLModel's attribute set-up), half of a 100,000-line import. The demo's questions
    # keep the ORM path, as their history rows need each question's id at once.
    fresh: dict[str, dict] = {}
    for values in parsed:
        pending = fresh.get(values["external_id"])
        if pending is not None:  # the same question twice in one batch: the later row wins
            values["created_at"] = values["created_at"] or pending["created_at"]
            if any(pending[k] != v for k, v in values.items()):
                pending.update(values)
                summary.updated += 1
            else:
                summary.duplicates += 1
            continue
        existing = known.get(values["external_id"])
        if existing is None:
            values["created_at"] = values["created_at"] or utcnow()
            summary.new += 1
            if origin != "demo":
                fresh[values["external_id"]] = {**values, "updated_at": utcnow()}
                continue
            question = Question(**values, updated_at=utcnow())
            session.add(question)
            known[values["external_id"]] = question
            session.flush()
            record_history(session, question)
            continue
        values["created_at"] = values["created_at"] or existing.created_at
        if existing.id in moderated:
            # Moderators' decisions and votes cast in the app outlive a re-import of the file.
            for field in ("status", "text", "votes"):
                values.pop(field, None)
        changed = {
            k: v
            for k, v in values.items()
            if getattr(existing, k) != v and not (k == "created_at" and to_utc(existing.created_at) == v)
        }
        if changed:
            for key, value in changed.items():
                setattr(existing, key, value)
            existing.updated_at = utcnow()
            summary.updated += 1
        else:
            summary.duplicates += 1
    if fresh:
        session.execute(insert(Question), list(fresh.values()))


def _text(head: str | bytes) -> str:
    """The start of an overlong line as text (the CSV file is read as text; bytes only by mistake)."""
    return head if isinstance(head, str) else head.decode("utf-8", "replace")


def _bounded(handle, overlong: dict[int, Overlong]):
    """The file's lines for the CSV reader; an overlong line is replaced by a marker and noted."""
    for number, line in enumerate(bounded_lines(handle, MAX_LINE_CHARS), start=1):
        if isinstance(line, Overlong):
            overlong[number] = line
            yield OVERLONG_MARK + "\n"
        else:
            yield line


def read_rows(path: Path, default_session: str | None = None):
    """``(file:line, row)`` pairs of a questions CSV in our own columns, after checking its header.
    Read as a stream: a line too long to be a question, or one the CSV reader cannot parse, comes
    as a RowError in place of its row."""
    overlong: dict[int, Overlong] = {}
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.DictReader(_bounded(handle, overlong))
        headers = [(h or "").strip() for h in reader.fieldnames or []]
        own = is_own_format(headers)
        lowered = {h.lower() for h in headers}
        if not own and not any(name in lowered for name in SLIDO_COLUMNS["question"]):
            raise RowError(
                f"{path.name}:1: no question column: expected our columns (session, question) "
                "or a Slido export (Question, Author, Likes, Date, …)"
            )
        if not own and default_session is None and not any(n in lowered for n in SLIDO_COLUMNS["session"]):
            raise RowError(f"{path.name}:1: this export names no session: give one with --session KEY")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                where = f"{path.name}:{reader.line_num + 1}"  # the reader counts the line only once it is parsed
                yield (
                    where,
                    RowError(f"the CSV cannot be read here: {error}", "(the reader gives no text for this line)"),
                )
                continue
            where = f"{path.name}:{reader.line_num}"
            if reader.line_num in overlong:
                line = overlong.pop(reader.line_num)
                yield (
                    where,
                    RowError(
                        f"the line has {line.size:,} characters; a question row has at most {MAX_LINE_CHARS:,}",
                        f"{_text(line.head)}… (the rest not kept)",
                    ),
                )
                continue
            yield where, (row if own else from_slido(row, default_session))


def import_questions(
    path: Path, *, url: str | None = None, origin: str = "csv", session_key: str | None = None
) -> QuestionImportSummary:
    """Store a questions file in batches, each its own short transaction, so that participants'
    questions and votes are never kept waiting behind a large file. Rows are keyed by their id (or
    a hash of their content), so a run that is stopped part way is simply run again."""
    path = Path(path)
    summary = QuestionImportSummary()
    zone = load_event().time_zone
    with db.writing(url) as session:
        run_id = runs.start_run(session, SOURCE, f"import-questions {path.name}")
    try:
        for batch in batched(read_rows(path, session_key), BATCH_ROWS):

            def write(batch=batch) -> QuestionImportSummary:
                counts = QuestionImportSummary()
                with db.writing(url) as session:
                    store_rows(session, batch, origin=origin, zone=zone, summary=counts)
                return counts

            for key, value in db.retry_locked(write).as_dict().items():
                setattr(summary, key, getattr(summary, key) + value)
    except Exception as error:
        with db.writing(url) as session:
            runs.finish_run(session, run_id, "failed", summary.as_dict(), str(error))
        raise
    with db.writing(url) as session:
        runs.finish_run(session, run_id, "rejected" if summary.rejected else "ok", summary.as_dict())
    return summary
