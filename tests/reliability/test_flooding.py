"""Vote stuffing and question floods from many tokens (a reload gives a browser a new one) are capped
per session, one token is capped on its own, and the caps come from the environment. Racing threads
stand in for app processes: on PostgreSQL several processes really do count at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from engagement.qa import asking, blocklist
from engagement.qa.limits import Limits, RateLimited
from engagement.storage import db
from engagement.storage.models import AgendaSession, Question, Vote

pytestmark = pytest.mark.both_databases


def first_session(url) -> int:
    with db.reading(url) as session:
        return session.scalar(
            select(AgendaSession.id).where(AgendaSession.kind != "break").order_by(AgendaSession.starts_at).limit(1)
        )


def race(action, items, workers=8) -> tuple[int, list[str]]:
    """Run ``action`` on every item from several threads; the count accepted and the refusals' messages."""
    accepted, refused, lock = [0], [], threading.Lock()

    def one(item):
        try:
            action(item)
        except RateLimited as error:
            with lock:
                refused.append(str(error))
        else:
            with lock:
                accepted[0] += 1

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, items))
    return accepted[0], refused


def count(url, model, **where) -> int:
    with db.reading(url) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.scalar(query)


@pytest.mark.parametrize("cap", [40, 150])
def test_vote_stuffing_from_many_tokens_stops_at_the_session_cap(db_url, monkeypatch, cap, tally):
    monkeypatch.setenv("QA_SESSION_VOTES_PER_MINUTE", str(cap))
    session_id = first_session(db_url)
    with db.writing(db_url) as session:
        question = Question(session_id=session_id, text="Stuff me", status="approved")
        session.add(question)
        session.flush()
        question_id = question.id

    def stuff(token):
        with db.writing(db_url) as session:
            asking.vote(
                session,
                question_id=question_id,
                participant_hash=f"stuffer-{token}",
                limits=Limits.from_environment(),
                now=datetime.now(UTC),
            )

    tokens = range(cap + 200)
    accepted, refused = race(stuff, tokens)
    assert accepted == cap == count(db_url, Vote, question_id=question_id)
    with db.reading(db_url) as session:
        assert session.get(Question, question_id).votes == cap
    assert len(refused) == 200 and all("very busy" in message for message in refused)
    tally.bad_input(f"stuffed votes from {len(tokens)} tokens, capped at {cap} ({db_url.split(':')[0]})", len(refused))


@pytest.mark.parametrize("cap", [25, 60])
def test_a_question_flood_from_many_tokens_stops_at_the_session_cap(db_url, monkeypatch, cap, tally):
    monkeypatch.setenv("QA_SESSION_QUESTIONS_PER_MINUTE", str(cap))
    session_id = first_session(db_url)
    rules = blocklist.load()

    def flood(token):
        with db.writing(db_url) as session:
            asking.submit(
                session,
                session_id=session_id,
                text=f"Flood number {token}?",
                participant_hash=f"flooder-{token}",
                limits=Limits.from_environment(),
                blocklist=rules,
            )

    accepted, refused = race(flood, range(cap + 100))
    assert accepted == cap == count(db_url, Question, session_id=session_id)
    assert len(refused) == 100 and all("great many questions" in message for message in refused)
    tally.bad_input(
        f"flooded questions from {cap + 100} tokens, capped at {cap} ({db_url.split(':')[0]})", len(refused)
    )


def test_one_token_is_capped_on_its_own(db_url, monkeypatch, tally):
    monkeypatch.setenv("QA_QUESTIONS_PER_MINUTE", "5")
    monkeypatch.setenv("QA_VOTES_PER_MINUTE", "7")
    session_id = first_session(db_url)
    rules = blocklist.load()

    def ask(n):
        with db.writing(db_url) as session:
            asking.submit(
                session,
                session_id=session_id,
                text=f"Same person, question {n}?",
                participant_hash="one-token",
                limits=Limits.from_environment(),
                blocklist=rules,
            )

    accepted, refused = race(ask, range(30))
    assert accepted == 5 and len(refused) == 25 and all("Please wait" in m for m in refused)
    with db.writing(db_url) as session:
        ids = []
        for n in range(20):
            question = Question(session_id=session_id, text=f"Votable {n}", status="approved")
            session.add(question)
            session.flush()
            ids.append(question.id)

    def upvote(question_id):
        with db.writing(db_url) as session:
            asking.vote(
                session,
                question_id=question_id,
                participant_hash="one-token",
                limits=Limits.from_environment(),
                now=datetime.now(UTC),
            )

    accepted, refused = race(upvote, ids)
    assert accepted == 7 == count(db_url, Vote, participant_hash="one-token") and len(refused) == 13
    tally.bad_input(f"questions and votes past one token's caps ({db_url.split(':')[0]})", 25 + 13)
