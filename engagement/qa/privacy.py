# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, union-attr"
"""Privacy: "forget me" for a participant, and a purge after the retention period.

Both erase what could identify a person or what they wrote, and keep the row so that counts
(questions per session and group, votes, states) stay true. Retention is ``QA_RETENTION_DAYS``
(default 90) after a question was asked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from engagement import settings
from engagement.storage.models import Question, Vote
from engagement.storage.models import QuestionStatus as S
from engagement.timeutil import utcnow

DEFAULT_RETENTION_DAYS = settings.DEFAULT_QA_RETENTION_DAYS
FORGOTTEN_TEXT = "(removed at the participant's request)"
PURGED_TEXT = "(removed after the retention period)"


def retention_days() -> int:
    return settings.qa_retention_days()


def forget(session: Session, participant_hash: str) -> dict[str, int]:
    """Take a participant's questions and votes out of view; the counts stay."""
    questions = session.execute(
        update(Question)
        .where(Question.participant_hash == participant_hash)
        .values(
            text=FORGOTTEN_TEXT,
            original_text=None,
            display_name=None,
            affiliation=None,
            participant_hash=None,
            forgotten=True,
            claimed_by=None,
            claimed_at=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    votes = session.execute(
        update(Vote)
        .where(Vote.participant_hash == participant_hash)
        .values(participant_hash=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"questions": questions, "votes": votes}


def purge(session: Session, older_than: datetime | None = None) -> dict[str, int]:
    """Erase personal data of questions asked before ``older_than`` (default: now − retention).

    Names, affiliations and participant links go from every question; the texts of questions that were
    never published (pending, dismissed …) go too, since no one agreed to their being kept.
    """
    cutoff = older_than or utcnow() - timedelta(days=retention_days())
    old = Question.created_at < cutoff
    personal = session.execute(
        update(Question)
        .where(
            old,
            (Question.display_name.is_not(None))
            | (Question.affiliation.is_not(None))
            | (Question.participant_hash.is_not(None)),
        )
        .values(display_name=None, affiliation=None, participant_hash=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    never_published = [S.pending, S.follow_up, S.dismissed]
    texts = session.execute(
        update(Question)
        .where(
            old,
            Question.forgotten.is_(False),
            Question.status.in_(never_published)
            | ((Question.status == S.archived) & Question.previous_status.in_(never_published)),
        )
        .values(text=PURGED_TEXT, original_text=None, forgotten=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    votes = session.execute(
        update(Vote)
        .where(Vote.created_at < cutoff, Vote.participant_hash.is_not(None))
        .values(participant_hash=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {
        "questions_anonymised": personal,
        "texts_erased": texts,
        "votes_unlinked": votes,
        "cutoff": cutoff.isoformat(),
    }
