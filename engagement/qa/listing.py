# mypy: disable-error-code="call-overload"
# (for SQLModel column expressions: select() of model attributes typed as their Python values)
"""What the Q&A pages read: the moderation queue, counts per state, who is being heard, the screen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session, col

from engagement.qa import similar
from engagement.qa.moderation import CHAIR_ORDER
from engagement.rules.translations import in_language
from engagement.storage.models import AgendaSession, ModerationAction, Question, StakeholderGroup
from engagement.storage.models import QuestionStatus as S
from engagement.timeutil import to_utc

TABS = {
    "incoming": (S.pending, S.follow_up),
    "approved": (S.approved, S.on_screen),
    "answered": (S.answered,),
    "dismissed": (S.dismissed,),
    "archived": (S.archived, S.merged),
}
UNSTATED = "unstated"


@dataclass(frozen=True)
class QueueItem:
    id: int
    text: str
    original_text: str | None
    status: str
    votes: int
    language: str | None
    display_name: str | None
    group_key: str | None
    affiliation: str | None
    flagged: bool
    flag_reason: str | None
    dismiss_reason: str | None
    starred: bool
    claimed_by: str | None
    claimed_at: datetime | None
    merged_into_id: int | None
    created_at: datetime
    merged_texts: tuple[str, ...] = ()
    similar: tuple[tuple[int, float], ...] = ()


def _stored_id(q: Question) -> int:
    """The id of a question read from the database (SQLModel types every primary key as Optional)."""
    assert q.id is not None
    return q.id


def _item(q: Question, merged: dict[int, list[str]], like: dict[int, list]) -> QueueItem:
    return QueueItem(
        _stored_id(q),
        q.text,
        q.original_text,
        q.status,
        q.votes,
        q.language,
        q.display_name,
        q.group_key,
        q.affiliation,
        q.flagged,
        q.flag_reason,
        q.dismiss_reason,
        q.starred,
        q.claimed_by,
        to_utc(q.claimed_at) if q.claimed_at else None,
        q.merged_into_id,
        to_utc(q.created_at),
        tuple(merged.get(_stored_id(q), ())),
        tuple(like.get(_stored_id(q), ())),
    )


def _queue_where(
    session_id: int, tab: str, groups: tuple[str, ...], languages: tuple[str, ...], flagged_only: bool
) -> list:
    where = [Question.session_id == session_id, col(Question.forgotten).is_(False), col(Question.status).in_(TABS[tab])]
    if groups:
        where.append(func.coalesce(Question.group_key, UNSTATED).in_(groups))
    if languages:
        where.append(col(Question.language).in_(languages))
    if flagged_only:
        where.append(col(Question.flagged).is_(True))
    return where


def queue(
    session: Session,
    session_id: int,
    tab: str,
    *,
    groups: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    flagged_only: bool = False,
    sort: str = "chair",
    limit: int | None = None,
) -> list[QueueItem]:
    """The first ``limit`` questions of one tab of the queue, each with the texts merged into it and the
    open questions of the session most like it."""
    where = _queue_where(session_id, tab, groups, languages, flagged_only)
    orders: dict[str, list[Any]] = {
        "votes": [col(Question.votes).desc(), col(Question.created_at)],
        "newest": [col(Question.created_at).desc()],
        "oldest": [col(Question.created_at)],
    }
    order: Sequence[Any] = CHAIR_ORDER if tab == "approved" and sort == "chair" else orders.get(sort, orders["oldest"])
    questions = list(session.scalars(select(Question).where(*where).order_by(*order, col(Question.id)).limit(limit)))
    merged: dict[int, list[str]] = {}
    if questions:
        for into, text in session.execute(
            select(Question.merged_into_id, Question.text).where(
                col(Question.merged_into_id).in_([q.id for q in questions]),
                Question.status == S.merged,
                col(Question.forgotten).is_(False),
            )
        ):
            merged.setdefault(into, []).append(text)
    like = {}
    if tab in ("incoming", "approved") and questions:
        pool = session.execute(
            select(Question.id, Question.text).where(
                Question.session_id == session_id,
                col(Question.forgotten).is_(False),
                col(Question.status).in_(TABS["incoming"] + TABS["approved"]),
            )
        ).all()
        like = similar.suggestions_for([(_stored_id(q), q.text) for q in questions], [(r.id, r.text) for r in pool])
    return [_item(q, merged, like) for q in questions]


def queue_size(
    session: Session,
    session_id: int,
    tab: str,
    *,
    groups: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    flagged_only: bool = False,
) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Question)
            .where(*_queue_where(session_id, tab, groups, languages, flagged_only))
        )
        or 0
    )


def counts(session: Session, session_id: int) -> dict[str, int]:
    """Questions per state in the session (forgotten ones included: counts stay)."""
    rows: dict[str, int] = dict(
        session.execute(
            select(Question.status, func.count()).where(Question.session_id == session_id).group_by(Question.status)
        ).all()
    )
    return {state.value: rows.get(state.value, 0) for state in S}


def heard(session: Session, session_id: int | None = None) -> pd.DataFrame:
    """Per stakeholder group: questions submitted, approved (published in any way) and answered, each with
    its share, so a chair sees which groups have not been heard yet. ``None``: the whole event."""
    published = (S.approved, S.on_screen, S.answered)
    where = [col(Question.status) != S.merged] + ([col(Question.session_id) == session_id] if session_id else [])
    group = func.coalesce(Question.group_key, UNSTATED)
    rows = session.execute(
        select(
            group,
            func.count(),
            func.count().filter(
                col(Question.status).in_(published)
                | ((col(Question.status) == S.archived) & col(Question.previous_status).in_(published))
            ),
            func.count().filter(
                (col(Question.status) == S.answered)
                | ((col(Question.status) == S.archived) & (col(Question.previous_status) == S.answered))
            ),
        )
        .where(*where)
        .group_by(group)
    ).all()
    labels: dict[str, str] = dict(session.execute(select(StakeholderGroup.key, StakeholderGroup.label)).all())
    order = [k for (k,) in session.execute(select(StakeholderGroup.key).order_by(StakeholderGroup.display_order))]
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["group", "submitted", "approved", "answered"])
    frame = frame.set_index("group").reindex(order + [UNSTATED], fill_value=0).reset_index()
    for column in ("submitted", "approved", "answered"):
        total = frame[column].sum()
        frame[f"{column}_share"] = (frame[column] / total).round(3) if total else 0.0
    frame.insert(1, "label", frame["group"].map(lambda k: labels.get(k, "Not stated")))
    return frame


@dataclass(frozen=True)
class OnScreen:
    question_id: int
    session_title: str
    text: str
    display_name: str | None
    affiliation: str | None
    group_label: str | None
    votes: int
    language: str | None = None


def on_screen(session: Session, session_id: int | None, lang: str | None = None) -> OnScreen | None:
    """The question on screen in ``session_id``; with none given, the one put on screen most recently.
    Its session's title and its group's label in ``lang`` where the event files translate them."""
    query = (
        select(Question, AgendaSession.title, AgendaSession.titles, StakeholderGroup.label, StakeholderGroup.labels)
        .join(AgendaSession, AgendaSession.id == Question.session_id)
        .outerjoin(StakeholderGroup, StakeholderGroup.key == Question.group_key)
        .where(Question.status == S.on_screen, col(Question.forgotten).is_(False))
    )
    if session_id is not None:
        query = query.where(Question.session_id == session_id)
    row = session.execute(query.order_by(col(Question.updated_at).desc()).limit(1)).first()
    if row is None:
        return None
    q, title, titles, label, labels = row
    title, label = in_language(title, titles, lang), in_language(label, labels, lang) if label else label
    return OnScreen(q.id, title, q.text, q.display_name, q.affiliation, label, q.votes, q.language)


def audit_log(session: Session, session_id: int | None = None, limit: int = 200) -> pd.DataFrame:
    query = (
        select(ModerationAction).order_by(col(ModerationAction.at).desc(), col(ModerationAction.id).desc()).limit(limit)
    )
    if session_id is not None:
        query = query.where(col(ModerationAction.session_id) == session_id)
    rows = [
        {
            "at": to_utc(a.at),
            "moderator": a.actor,
            "action": a.action,
            "question": a.question_id,
            "reason": a.reason or "",
            "before": _describe(a.before),
            "after": _describe(a.after),
        }
        for a in session.scalars(query)
    ]
    return pd.DataFrame(rows, columns=["at", "moderator", "action", "question", "reason", "before", "after"])


def _describe(values: dict) -> str:
    return "; ".join(f"{k}: {v}" for k, v in values.items())


def actions_by_kind(session: Session) -> pd.DataFrame:
    """Moderation transparency: how many of each action, and dismissals by reason."""
    rows = session.execute(
        select(ModerationAction.action, func.count()).group_by(ModerationAction.action).order_by(func.count().desc())
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["action", "count"])


def dismissals_by_reason(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(Question.dismiss_reason, func.count())
        .where(Question.status == S.dismissed)
        .group_by(Question.dismiss_reason)
        .order_by(func.count().desc())
    ).all()
    return pd.DataFrame([(r or "no reason", n) for r, n in rows], columns=["reason", "count"])


def export_frame(session: Session, session_id: int | None = None) -> pd.DataFrame:
    """Questions for a CSV export: no tokens, hashes or moderators' claims; forgotten ones left out."""
    # One tuple, then select(*columns): sixteen typed arguments are past what mypy's overload check tries.
    selected = (
        AgendaSession.key,
        AgendaSession.title,
        Question.id,
        Question.status,
        Question.text,
        Question.original_text,
        Question.language,
        Question.display_name,
        Question.group_key,
        Question.affiliation,
        Question.votes,
        Question.flagged,
        Question.dismiss_reason,
        Question.merged_into_id,
        Question.created_at,
        Question.answered_at,
    )
    query = (
        select(*selected)
        .join(AgendaSession, AgendaSession.id == Question.session_id)
        .where(col(Question.forgotten).is_(False))
        .order_by(AgendaSession.starts_at, Question.created_at)
    )
    if session_id is not None:
        query = query.where(Question.session_id == session_id)
    columns = [
        "session_key",
        "session",
        "id",
        "status",
        "question",
        "original_text",
        "language",
        "name",
        "group",
        "affiliation",
        "votes",
        "flagged",
        "dismiss_reason",
        "merged_into",
        "asked_at",
        "answered_at",
    ]
    return pd.DataFrame([tuple(r) for r in session.execute(query)], columns=columns)


def question(session: Session, question_id: int) -> QueueItem | None:
    found = session.get(Question, question_id)
    return None if found is None or found.forgotten else _item(found, {}, {})


def merge_candidates(session: Session, question_id: int) -> list[tuple[int, str]]:
    """Questions of the same session one could merge ``question_id`` into: the most similar first."""
    found = session.get(Question, question_id)
    if found is None:
        return []
    rows = session.execute(
        select(Question.id, Question.text).where(
            Question.session_id == found.session_id,
            Question.id != question_id,
            col(Question.forgotten).is_(False),
            col(Question.status).in_(TABS["incoming"] + TABS["approved"] + TABS["answered"]),
        )
    ).all()
    return similar.ranked(found.text, [(r.id, r.text) for r in rows])
