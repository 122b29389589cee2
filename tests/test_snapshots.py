"""Sessions read in parallel threads see one and the same state of the database (db.reading_together)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select, text
from sqlmodel import Session

from engagement.rules.sync import sync_event
from engagement.storage import db
from engagement.storage.models import AgendaSession, Question

pytestmark = pytest.mark.both_databases


def _ask(url: str, words: str) -> None:
    with db.writing(url) as session:
        first = session.scalar(select(AgendaSession.id).order_by(AgendaSession.id).limit(1))
        session.add(Question(session_id=first, text=words))


def _questions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Question))


def test_sessions_read_together_keep_the_state_they_started_with(db_url):
    _ask(db_url, "before")
    with db.reading_together(db_url, 3) as sessions:
        # Committed after the sessions were handed out, before any of them read a question.
        _ask(db_url, "meanwhile")
        counts = []
        threads = [threading.Thread(target=lambda s=s: counts.append(_questions(s))) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert counts == [1, 1, 1]
        _ask(db_url, "later")
        assert [_questions(s) for s in sessions] == [1, 1, 1]
    with db.reading(db_url) as session:
        assert _questions(session) == 3


def test_postgresql_sessions_read_together_cannot_write(db_url):
    with db.reading_together(db_url, 2) as sessions:
        if db.is_sqlite(db_url):
            return  # SQLite's read transactions are read-only by use, not by declaration
        with pytest.raises(Exception, match="read-only"):
            sessions[1].execute(text("DELETE FROM question"))


def test_a_commit_while_sqlite_sessions_start_reading_starts_them_again(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'test.db'}"
    with db.writing(url) as session:
        sync_event(session)
    engine = db.get_engine(url)
    with Session(engine) as first, Session(engine) as second:
        # A commit by another connection after the first session's transaction began, before its
        # first read: the two may now see different states.
        event.listen(first, "after_begin", lambda *_: _ask(url, "in between"))
        assert db._same_sqlite_snapshot(engine, [first, second]) is False
    with Session(engine) as first, Session(engine) as second:
        assert db._same_sqlite_snapshot(engine, [first, second]) is True

    attempts = []
    real = db._same_sqlite_snapshot
    monkeypatch.setattr(db, "_same_sqlite_snapshot", lambda *a: attempts.append(1) or (len(attempts) > 1 and real(*a)))
    with db.reading_together(url, 2) as sessions:
        assert [_questions(s) for s in sessions] == [1, 1]
    assert len(attempts) == 2
