# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload"
"""What participants do: submit a question, upvote one, see their own, and the session's published ones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from engagement.i18n import N_, Message, N_plural
from engagement.qa import language as languages
from engagement.qa.blocklist import Blocklist
from engagement.qa.limits import Limits, check_question, check_vote
from engagement.storage.models import AgendaSession, Question, SessionKind, StakeholderGroup, Vote
from engagement.storage.models import QuestionStatus as S
from engagement.timeutil import utcnow

MAX_QUESTION_CHARS = 500
MAX_NAME_CHARS = 80
MAX_AFFILIATION_CHARS = 120
# Control characters other than newline and tab have no place in a question (and can hide text).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

CONSENT_TEXT = N_(
    "Questions are anonymous unless you add your name, stakeholder group or affiliation. If you do, they are "
    "stored with your question, shown to the moderators, and may be shown with it in the room and in the "
    'organisers\' anonymised report. They are deleted after the retention period, or at once with "Forget me".'
)


class Refusal(ValueError):
    """A refusal whose ``message`` the page shows in the participant's language; ``str()`` is the English."""

    def __init__(self, message: Message | str):
        self.message = message if isinstance(message, Message) else Message(message)
        super().__init__(self.message.english())


class QuestionRefused(Refusal):
    """The question cannot be taken as it is; the message says why, fit to show to the participant."""


class VoteRefused(Refusal):
    """The vote cannot be counted (already voted, or the question is not open for votes)."""


# One sentence per field, not a noun put into one sentence: languages inflect the noun and the verb.
TOO_LONG = {
    "question": N_plural(
        "The question has {n} character; at most {limit} are accepted.",
        "The question has {n} characters; at most {limit} are accepted.",
    ),
    "name": N_plural(
        "The name has {n} character; at most {limit} are accepted.",
        "The name has {n} characters; at most {limit} are accepted.",
    ),
    "affiliation": N_plural(
        "The affiliation has {n} character; at most {limit} are accepted.",
        "The affiliation has {n} characters; at most {limit} are accepted.",
    ),
}


@dataclass(frozen=True)
class Asked:
    id: int
    flagged: bool


def clean(text: str | None, limit: int, what: str) -> str | None:
    value = CONTROL.sub("", text or "").strip()
    if len(value) > limit:
        generic = f"The {what} has {{n}} characters; at most {{limit}} are accepted."
        singular, plural = TOO_LONG.get(what, (generic, generic))
        raise QuestionRefused(Message(singular, plural, len(value), {"limit": limit}))
    return value or None


def submit(
    session: Session,
    *,
    session_id: int,
    text: str,
    participant_hash: str,
    limits: Limits,
    blocklist: Blocklist,
    name: str | None = None,
    group_key: str | None = None,
    affiliation: str | None = None,
    language: str | None = None,
    consent: bool = False,
    now: datetime | None = None,
) -> Asked:
    """Store a question as pending (a moderator publishes it). Personal fields need ``consent``."""
    now = now or utcnow()
    body = clean(text, MAX_QUESTION_CHARS, "question")
    if not body:
        raise QuestionRefused(N_("The question is empty."))
    name = clean(name, MAX_NAME_CHARS, "name")
    affiliation = clean(affiliation, MAX_AFFILIATION_CHARS, "affiliation")
    group_key = group_key or None
    if (name or affiliation or group_key) and not consent:
        raise QuestionRefused(
            N_(
                "To store your name, group or affiliation, please agree to the note above; "
                "or leave those fields empty to ask anonymously."
            )
        )
    agenda_item = session.get(AgendaSession, session_id)
    if agenda_item is None or agenda_item.kind == SessionKind.break_:
        raise QuestionRefused(N_("That session does not take questions."))
    if group_key and session.get(StakeholderGroup, group_key) is None:
        raise QuestionRefused(N_("That stakeholder group is not one of this event's."))
    check_question(session, limits, participant_hash, session_id, now)
    reason = blocklist.check(" ".join(filter(None, [body, name, affiliation])))
    question = Question(
        session_id=session_id,
        text=body,
        language=language or languages.detect(body),
        display_name=name,
        group_key=group_key,
        affiliation=affiliation,
        status=S.pending,
        flagged=reason is not None,
        flag_reason=reason,
        participant_hash=participant_hash,
        origin="app",
        created_at=now,
        updated_at=now,
    )
    session.add(question)
    session.flush()
    return Asked(question.id, question.flagged)


def _insert_ignoring_duplicates(session: Session):
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(Vote).on_conflict_do_nothing()


def vote(
    session: Session, *, question_id: int, participant_hash: str, limits: Limits, now: datetime | None = None
) -> int:
    """Count one upvote; returns the question's new total. A second vote by the same participant is refused
    by the database's unique constraint, not by a check that two requests could both pass."""
    now = now or utcnow()
    question = session.get(Question, question_id)
    if question is None or question.forgotten or question.status not in (S.approved, S.on_screen):
        raise VoteRefused(N_("This question is not open for votes."))
    check_vote(session, limits, participant_hash, question.session_id, now)
    # RETURNING tells whether the row went in (psycopg reports no rowcount for an ignored conflict).
    inserted = session.execute(
        _insert_ignoring_duplicates(session)
        .values(question_id=question_id, participant_hash=participant_hash, created_at=now)
        .returning(Vote.id)
    ).first()
    if inserted is None:
        raise VoteRefused(N_("You have already voted for this question."))
    session.execute(
        update(Question)
        .where(Question.id == question_id)
        .values(votes=Question.votes + 1)
        .execution_options(synchronize_session=False)
    )
    return session.scalar(select(Question.votes).where(Question.id == question_id)) or 0


# In English, marked for translation: the page shows them in the participant's language.
PARTICIPANT_STATES = {
    S.pending: N_("submitted"),
    S.follow_up: N_("submitted"),
    S.dismissed: N_("submitted"),
    S.approved: N_("published"),
    S.on_screen: N_("on screen now"),
    S.answered: N_("answered"),
    S.merged: N_("merged with a similar question"),
}


def participant_state(status: str, previous: str | None) -> str:
    """What the asker sees. A dismissal is not announced: the question simply stays unpublished."""
    if status == S.archived:
        return "answered" if previous == S.answered else "submitted"
    return PARTICIPANT_STATES.get(status, "submitted")


@dataclass(frozen=True)
class PublicQuestion:
    id: int
    text: str
    display_name: str | None
    affiliation: str | None
    votes: int
    answered: bool
    on_screen: bool
    voted: bool
    created_at: datetime
    language: str | None = None


def published(
    session: Session, session_id: int, participant_hash: str | None, sort: str = "votes", limit: int = 200
) -> list[PublicQuestion]:
    """The session's approved, on-screen and answered questions, with whether this participant voted."""
    order = [Question.votes.desc(), Question.created_at.desc()] if sort == "votes" else [Question.created_at.desc()]
    rows = session.execute(
        select(
            Question.id,
            Question.text,
            Question.display_name,
            Question.affiliation,
            Question.votes,
            Question.status,
            Question.created_at,
            Question.language,
        )
        .where(
            Question.session_id == session_id,
            Question.forgotten.is_(False),
            Question.status.in_([S.approved, S.on_screen, S.answered]),
        )
        .order_by(Question.status == S.answered, *order)
        .limit(limit)
    ).all()
    voted = set()
    if participant_hash and rows:
        voted = set(
            session.scalars(
                select(Vote.question_id).where(
                    Vote.participant_hash == participant_hash, Vote.question_id.in_([r.id for r in rows])
                )
            )
        )
    return [
        PublicQuestion(
            r.id,
            r.text,
            r.display_name,
            r.affiliation,
            r.votes,
            r.status == S.answered,
            r.status == S.on_screen,
            r.id in voted,
            r.created_at,
            r.language,
        )
        for r in rows
    ]


def mine(session: Session, participant_hash: str) -> list[dict]:
    rows = session.execute(
        select(
            Question.id,
            Question.text,
            Question.status,
            Question.previous_status,
            Question.votes,
            Question.created_at,
            Question.language,
            AgendaSession.title,
        )
        .join(AgendaSession, AgendaSession.id == Question.session_id)
        .where(Question.participant_hash == participant_hash, Question.forgotten.is_(False))
        .order_by(Question.created_at.desc())
    ).all()
    return [
        {
            "session": r.title,
            "question": r.text,
            "state": participant_state(r.status, r.previous_status),
            "votes": r.votes,
            "asked_at": r.created_at,
            "language": r.language,
        }
        for r in rows
    ]
