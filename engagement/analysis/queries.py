"""Aggregates the pages show, computed in SQL over indexed columns and returned as pandas frames."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import distinct, func, select
from sqlmodel import Session

from engagement.rules.attribution import BETWEEN_SESSIONS
from engagement.storage.covering import author_of_post, scanned
from engagement.storage.models import AgendaSession, Author, Post, Question, SessionKind, StakeholderGroup


def headline(session: Session) -> dict[str, int]:
    collected = Post.collected.is_(True)
    return {
        "posts": session.scalar(select(func.count()).select_from(Post).where(collected)) or 0,
        "voices": session.scalar(select(func.count(distinct(Post.author_id))).where(collected)) or 0,
        "groups": session.scalar(
            select(func.count(distinct(Author.group_key)))
            .select_from(Post)
            .join(Author, author_of_post())
            .where(collected, Author.group_key != "public")
        )
        or 0,
        "questions": session.scalar(select(func.count()).select_from(Question)) or 0,
    }


def participation_by_session(session: Session) -> pd.DataFrame:
    """Posts, unique authors and questions per agenda session (breaks left out), in agenda order,
    plus one row for posts between sessions."""
    session_of_post = scanned(Post.session_id)
    posts = dict(
        (sid, (n, a))
        for sid, n, a in session.execute(
            select(session_of_post, func.count(), func.count(distinct(Post.author_id)))
            .select_from(Post)
            .where(Post.collected.is_(True))
            .group_by(session_of_post)
        ).all()
    )
    questions = dict(session.execute(select(Question.session_id, func.count()).group_by(Question.session_id)).all())
    rows = []
    for item in session.scalars(
        select(AgendaSession)
        .where(AgendaSession.kind != SessionKind.break_)
        .order_by(AgendaSession.starts_at, AgendaSession.key)
    ):
        n, authors = posts.get(item.id, (0, 0))
        rows.append(
            {
                "key": item.key,
                "session": item.title,
                "starts_at": item.starts_at,
                "posts": n,
                "authors": authors,
                "questions": questions.get(item.id, 0),
            }
        )
    n, authors = posts.get(None, (0, 0))
    rows.append(
        {"key": "", "session": BETWEEN_SESSIONS, "starts_at": None, "posts": n, "authors": authors, "questions": 0}
    )
    return pd.DataFrame(rows, columns=["key", "session", "starts_at", "posts", "authors", "questions"])


def newest_posts(session: Session, limit: int = 20, until: datetime | None = None) -> pd.DataFrame:
    """The newest collected posts, up to ``until`` (the replay clock in a demo)."""
    where = [Post.collected.is_(True)] + ([Post.created_at <= until] if until else [])
    rows = session.execute(
        select(
            Post.created_at,
            Author.handle,
            Author.display_name,
            StakeholderGroup.label,
            Post.kind,
            Post.text,
            Post.current_id,
        )
        .outerjoin(Author, Author.id == Post.author_id)
        .outerjoin(StakeholderGroup, StakeholderGroup.key == Author.group_key)
        .where(*where)
        .order_by(Post.created_at.desc())
        .limit(limit)
    ).all()
    frame = pd.DataFrame(rows, columns=["time", "handle", "name", "group", "kind", "text", "id"])
    frame["link"] = "https://x.com/i/web/status/" + frame["id"].astype(str)
    return frame.drop(columns=["id"])


def groups(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(StakeholderGroup.key, StakeholderGroup.label, StakeholderGroup.colour).order_by(
            StakeholderGroup.display_order
        )
    ).all()
    return pd.DataFrame(rows, columns=["key", "label", "colour"])


def questions_by_status(session: Session, limit: int = 500) -> pd.DataFrame:
    rows = session.execute(
        select(
            AgendaSession.title,
            Question.status,
            Question.votes,
            Question.text,
            Question.language,
            Question.display_name,
            Question.created_at,
        )
        .join(AgendaSession, AgendaSession.id == Question.session_id)
        .order_by(Question.created_at.desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=["session", "status", "votes", "question", "language", "name", "asked at"])
