"""Every question figure of the Analyse pages and the summary is summed from one count of the
questions by status (``analytics.question_counts``): each equals what is counted here from the
questions themselves, under several filters, with every status, archived ones, merged ones and
forgotten ones among them, on both databases."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from engagement.analysis import analytics, layers
from engagement.collection.questions import import_questions
from engagement.demo import write_collection
from engagement.report import content
from engagement.storage import db
from engagement.storage.models import Question
from engagement.storage.models import QuestionStatus as S

pytestmark = pytest.mark.both_databases

DAY = (datetime(2018, 4, 23, tzinfo=UTC), datetime(2018, 4, 24, tzinfo=UTC))
PUBLISHED = {S.approved, S.on_screen, S.answered}


def _statuses(url: str) -> None:
    """Every status, and archived questions with every status before, some forgotten."""
    pick = random.Random(7)
    with db.writing(url) as session:
        ids = list(session.scalars(select(Question.id).order_by(Question.id)))
        for question_id in ids:
            status = pick.choice(list(S))
            before = (
                pick.choice([S.answered, S.dismissed, S.approved, S.on_screen, S.pending])
                if status == S.archived
                else None
            )
            session.execute(
                update(Question)
                .where(Question.id == question_id)
                .values(status=status, previous_status=before, forgotten=pick.random() < 0.1)
            )


def _under(session, f: analytics.Filters) -> list[Question]:
    found = []
    for q in session.scalars(select(Question)):
        created = q.created_at.replace(tzinfo=UTC) if q.created_at.tzinfo is None else q.created_at
        if (f.start and created < f.start) or (f.end and created >= f.end):
            continue
        if f.sessions is not None and q.session_id not in f.sessions:
            continue
        if f.groups is not None and q.group_key not in f.groups:
            continue
        found.append(q)
    return found


def _was(q: Question, statuses) -> bool:
    return q.status in statuses or (q.status == S.archived and q.previous_status in statuses)


def _count(questions, key, keep=lambda q: True) -> dict:
    counts: dict = {}
    for q in questions:
        if keep(q):
            counts[key(q)] = counts.get(key(q), 0) + 1
    return counts


def test_every_question_figure_is_the_count_of_the_questions(db_url, tmp_path):
    _, questions = write_collection(tmp_path / "demo.jsonl", posts=6000, seed=3)
    import_questions(questions, url=db_url, origin="demo")
    _statuses(db_url)
    with db.reading(db_url) as session:
        first = session.scalar(select(Question.session_id).order_by(Question.id).limit(1))
        cases = [
            analytics.Filters(),
            analytics.Filters(start=DAY[0], end=DAY[1]),
            analytics.Filters(sessions=(first,)),
            analytics.Filters(groups=("civil_society", "government", "survivor", "academia", "intl_org")),
        ]
        titles = {int(r.id): r.title for r in analytics.sessions(session).itertuples()}
        for f in cases:
            every = _under(session, f)
            asked = [q for q in every if q.status != S.merged]
            assert len(asked) > 15 and len(every) > len(asked), f"{f}: questions of every kind"
            assert analytics.totals(session, f)["questions"] == len(every)
            per_session = analytics.by_session(session, f).set_index("id")["questions"]
            assert {k: v for k, v in per_session.items() if v} == _count(every, lambda q: q.session_id), f
            per_group = analytics.by_group(session, f).set_index("key")["questions"]
            assert {k: v for k, v in per_group.items() if v} == _count(
                every, lambda q: q.group_key, lambda q: q.group_key is not None
            ), f

            qa = content.qa_by_session(session, f).set_index("session")
            for column, keep in {
                "submitted": lambda q: True,
                "published": lambda q: _was(q, PUBLISHED),
                "answered": lambda q: _was(q, {S.answered}),
                "dismissed": lambda q: _was(q, {S.dismissed}),
            }.items():
                want = {titles[k]: n for k, n in _count(asked, lambda q: q.session_id, keep).items()}
                assert {k: v for k, v in qa[column].items() if v} == want, f"{f}: {column}"
            votes = _count([q for q in asked for _ in range(q.votes)], lambda q: titles[q.session_id])
            assert {k: v for k, v in qa["votes"].items() if v} == votes, f"{f}: votes"

            headline = content.headline(session, f, "Europe/Vienna")
            assert headline["questions"] == len(asked)
            assert headline["votes"] == sum(q.votes for q in asked)
            assert content._published_count(session, f) == len(
                [q for q in asked if not q.forgotten and _was(q, PUBLISHED)]
            )

            grouped = layers.by_group(session, f).set_index("key")
            counted = [q for q in asked if q.group_key is not None]
            assert {k: v for k, v in grouped["questions"].items() if v} == _count(counted, lambda q: q.group_key)
            assert {k: v for k, v in grouped["answered"].items() if v} == _count(
                counted, lambda q: q.group_key, lambda q: _was(q, {S.answered})
            )
            cells = layers.by_session(session, f)
            in_sessions = _count([q for q in counted if q.session_id in titles], lambda q: (q.session_id, q.group_key))
            assert {
                (int(r.session_id), r.key): int(r.questions) for r in cells.itertuples() if r.questions
            } == in_sessions, f
