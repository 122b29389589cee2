# mypy: disable-error-code="call-overload"
# (for SQLModel column expressions: select() of model attributes typed as their Python values)
"""What the projector shows when no question is on screen: the session's top approved questions by votes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from engagement.storage.models import Question
from engagement.storage.models import QuestionStatus as S

TOP = 5  # what a hall can read at once from the back at projector sizes


@dataclass(frozen=True)
class TopQuestion:
    question_id: int
    text: str
    votes: int
    language: str | None


def top_questions(session: Session, session_id: int, limit: int = TOP) -> list[TopQuestion]:
    """The session's approved questions, most votes first (the oldest first among equals): what the
    room is asking, without the askers' names (the moderators' attribution choice is for the one
    question put on screen)."""
    rows = session.execute(
        select(Question.id, Question.text, Question.votes, Question.language)
        .where(
            col(Question.session_id) == session_id,
            col(Question.forgotten).is_(False),
            col(Question.status).in_([S.approved, S.on_screen]),
        )
        .order_by(col(Question.votes).desc(), col(Question.created_at), col(Question.id))
        .limit(limit)
    ).all()
    return [TopQuestion(r.id, r.text, r.votes, r.language) for r in rows]
