# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type"
"""Rate limits, enforced on the server by counting rows, so they hold across app processes.

Per participant: ``QA_QUESTIONS_PER_MINUTE`` (default 3) and ``QA_VOTES_PER_MINUTE`` (default 30).
Per session, whatever the tokens (a reload gives a browser a new token): ``QA_SESSION_QUESTIONS_PER_MINUTE``
(default 120) and ``QA_SESSION_VOTES_PER_MINUTE`` (default 3000).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlmodel import Session

from engagement import settings
from engagement.i18n import N_, Message, N_plural
from engagement.storage.models import Question, Vote

WINDOW = timedelta(minutes=1)
ASKED_TOO_OFTEN = N_plural(
    "You have asked {n} question in the last minute. Please wait a moment before asking another.",
    "You have asked {n} questions in the last minute. Please wait a moment before asking another.",
)


class RateLimited(Exception):
    """Too many actions in the last minute; the message is fit to show to the participant (``message``
    in their language through the page's translator, ``str()`` in English)."""

    def __init__(self, message: Message | str):
        self.message = message if isinstance(message, Message) else Message(message)
        super().__init__(self.message.english())


@dataclass(frozen=True)
class Limits:
    questions_per_minute: int = 3
    votes_per_minute: int = 30
    session_questions_per_minute: int = 120
    session_votes_per_minute: int = 3000

    @classmethod
    def from_environment(cls) -> Limits:
        return cls(
            *settings.qa_limits(
                cls.questions_per_minute,
                cls.votes_per_minute,
                cls.session_questions_per_minute,
                cls.session_votes_per_minute,
            )
        )


# Keys for PostgreSQL's transaction-level advisory locks (pg_advisory_xact_lock(key, session id)).
QUESTION_LOCK, VOTE_LOCK = 7201, 7202


def _serialise(session: Session, key: int, session_id: int) -> None:
    """Count and insert as one step per agenda session. SQLite's writer transaction already is one;
    on PostgreSQL, app processes counting at the same moment could each see room under the cap and
    all insert, so the count waits for a lock held until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key, :session_id)"), {"key": key, "session_id": session_id})


def check_question(session: Session, limits: Limits, participant_hash: str, session_id: int, now: datetime) -> None:
    _serialise(session, QUESTION_LOCK, session_id)
    since = now - WINDOW
    mine = (
        session.scalar(
            select(func.count())
            .select_from(Question)
            .where(Question.participant_hash == participant_hash, Question.created_at > since)
        )
        or 0
    )
    if mine >= limits.questions_per_minute:
        raise RateLimited(Message(*ASKED_TOO_OFTEN, n=mine))
    everyone = (
        session.scalar(
            select(func.count())
            .select_from(Question)
            .where(Question.session_id == session_id, Question.created_at > since)
        )
        or 0
    )
    if everyone >= limits.session_questions_per_minute:
        raise RateLimited(
            N_("This session is receiving a great many questions right now. Please try again in a minute.")
        )


def check_vote(session: Session, limits: Limits, participant_hash: str, session_id: int, now: datetime) -> None:
    _serialise(session, VOTE_LOCK, session_id)
    since = now - WINDOW
    mine = (
        session.scalar(
            select(func.count())
            .select_from(Vote)
            .where(Vote.participant_hash == participant_hash, Vote.created_at > since)
        )
        or 0
    )
    if mine >= limits.votes_per_minute:
        raise RateLimited(N_("You have voted a lot in the last minute. Please wait a moment before voting again."))
    everyone = (
        session.scalar(
            select(func.count())
            .select_from(Vote)
            .join(Question, Question.id == Vote.question_id)
            .where(Question.session_id == session_id, Vote.created_at > since)
        )
        or 0
    )
    if everyone >= limits.session_votes_per_minute:
        raise RateLimited(N_("Voting in this session is very busy right now. Please try again in a minute."))
