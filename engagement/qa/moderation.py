"""What moderators do. Every action checks the question's state inside the write transaction (so two
moderators acting at once cannot both succeed on a stale view) and writes an audit entry: who, what,
when, the question before and after.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from engagement.i18n import N_
from engagement.qa.asking import MAX_QUESTION_CHARS, QuestionRefused, clean
from engagement.qa.states import IllegalTransition, target
from engagement.storage import flags
from engagement.storage.models import ModerationAction, Question
from engagement.storage.models import QuestionStatus as S
from engagement.timeutil import to_utc, utcnow

CLAIM_LASTS = timedelta(minutes=3)
# Stored as written here (English); marked so that the queue's picker and the report translate them
# (the staff catalog, engagement/i18n/staff.cfg).
DISMISS_REASONS = (
    N_("off topic"),
    N_("duplicate"),
    N_("already answered"),
    N_("offensive or abusive"),
    N_("spam"),
    N_("personal information"),
    N_("not a question"),
    N_("other"),
)
AUDITED = (
    "status",
    "previous_status",
    "text",
    "original_text",
    "starred",
    "position",
    "claimed_by",
    "merged_into_id",
    "votes",
    "dismiss_reason",
    "flagged",
)
SCREEN_ATTRIBUTION = "screen_attribution"


class ClaimedByOther(IllegalTransition):
    """Another moderator holds a live claim on the question."""


def snapshot(question: Question) -> dict:
    return {field: getattr(question, field) for field in AUDITED}


def _changes(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in AUDITED if before.get(k) != after.get(k)]
    return {k: before[k] for k in keys}, {k: after[k] for k in keys}


def _load(session: Session, question_id: int) -> Question:
    # FOR UPDATE on PostgreSQL; SQLite's write transactions (BEGIN IMMEDIATE) already run one at a time.
    question = session.get(Question, question_id, with_for_update=True, populate_existing=True)
    if question is None or question.forgotten:
        raise IllegalTransition("that question no longer exists")
    return question


def _check_claim(question: Question, actor: str, now: datetime) -> None:
    if (
        question.claimed_by
        and question.claimed_by != actor
        and question.claimed_at is not None
        and now - to_utc(question.claimed_at) < CLAIM_LASTS
    ):
        raise ClaimedByOther(f"{question.claimed_by} is handling this question")


def _record(
    session: Session, question: Question, actor: str, action: str, before: dict, reason: str | None, now: datetime
) -> ModerationAction:
    old, new = _changes(before, snapshot(question))
    assert question.id is not None  # a stored question: _load read it
    entry = ModerationAction(
        question_id=question.id,
        session_id=question.session_id,
        actor=actor,
        action=action,
        reason=reason,
        before=old,
        after=new,
        at=now,
    )
    session.add(entry)
    return entry


def act(
    session: Session,
    question_id: int,
    action: str,
    actor: str,
    *,
    reason: str | None = None,
    text: str | None = None,
    now: datetime | None = None,
) -> Question:
    """Apply one moderation action (see ``states``) and audit it.

    ``dismiss`` needs a reason; ``edit`` and ``edit_approve`` need the new text (the participant's
    original is kept). ``show`` takes the session's current on-screen question back to approved.
    """
    now = now or utcnow()
    actor = (actor or "").strip()
    if not actor:
        raise ValueError("an action needs the moderator's name for the audit log")
    question = _load(session, question_id)
    before = snapshot(question)
    # Another moderator's live claim keeps everyone else off the question, its release included.
    _check_claim(question, actor, now)
    new_status = target(action, question.status, question.previous_status)

    if action == "dismiss":
        if not (reason or "").strip():
            raise ValueError("a dismissal needs a reason")
        question.dismiss_reason = (reason or "").strip()
    if action in ("edit", "edit_approve"):
        edited = clean(text, MAX_QUESTION_CHARS, "question")
        if not edited:
            raise QuestionRefused("The edited question is empty.")
        if edited != question.text:
            if question.original_text is None:
                question.original_text = question.text
            question.text = edited
    if action in ("star", "unstar"):
        question.starred = action == "star"
    if action == "claim":
        question.claimed_by, question.claimed_at = actor, now
    if action == "release" or new_status != question.status:
        question.claimed_by = question.claimed_at = None
    if action == "show":
        _clear_screen(session, question, actor, now)
    if action == "answer":
        question.answered_at = now
    if action == "restore":
        question.dismiss_reason = None if question.status == S.dismissed else question.dismiss_reason
        if question.status == S.merged:
            _unmerge(session, question)
        question.previous_status = None
    elif new_status != question.status and action != "hide":
        question.previous_status = question.status
    question.status = new_status
    question.updated_at = now
    _record(session, question, actor, action, before, reason, now)
    session.flush()
    return question


def _clear_screen(session: Session, question: Question, actor: str, now: datetime) -> None:
    for other in session.scalars(
        select(Question).where(
            col(Question.session_id) == question.session_id,
            col(Question.status) == S.on_screen,
            col(Question.id) != question.id,
        )
    ):
        before = snapshot(other)
        other.status, other.updated_at = S.approved, now
        _record(session, other, actor, "hide", before, "another question put on screen", now)


def merge(session: Session, source_id: int, target_id: int, actor: str, now: datetime | None = None) -> Question:
    """Fold ``source`` into ``target`` (same session): both texts kept, the source's votes added to the target."""
    now = now or utcnow()
    if source_id == target_id:
        raise IllegalTransition("a question cannot be merged into itself")
    into = _load(session, target_id)
    source = _load(session, source_id)
    if into.session_id != source.session_id:
        raise IllegalTransition("only questions of the same session can be merged")
    if into.status in (S.merged, S.dismissed, S.archived):
        raise IllegalTransition(f"cannot merge into a question that is {into.status}")
    before_into = snapshot(into)
    act(session, source_id, "merge", actor, now=now)
    source.merged_into_id = into.id
    into.votes += source.votes
    into.updated_at = now
    _record(session, into, actor, "merge_into", before_into, f"question {source.id} merged into this one", now)
    session.flush()
    return into


def _unmerge(session: Session, question: Question) -> None:
    if question.merged_into_id is not None:
        session.execute(
            update(Question)
            .where(col(Question.id) == question.merged_into_id)
            .values(votes=Question.votes - question.votes)
            .execution_options(synchronize_session=False)
        )
    question.merged_into_id = None


# The chair's order of approved questions: starred first, then the moderators' order, then votes, then oldest.
CHAIR_ORDER = (
    col(Question.starred).desc(),
    col(Question.position).is_(None),
    col(Question.position),
    col(Question.votes).desc(),
    col(Question.created_at),
)


def chair_order(session: Session, session_id: int) -> list[Question]:
    """Approved and on-screen questions of a session in the chair's order."""
    return list(
        session.scalars(
            select(Question)
            .where(
                col(Question.session_id) == session_id,
                col(Question.forgotten).is_(False),
                col(Question.status).in_([S.approved, S.on_screen]),
            )
            .order_by(*CHAIR_ORDER, col(Question.id))
        )
    )


def move(session: Session, question_id: int, offset: int, actor: str, now: datetime | None = None) -> Question:
    """Move a question ``offset`` places in the chair's order (negative: up), among those equally starred."""
    now = now or utcnow()
    question = _load(session, question_id)
    _check_claim(question, actor, now)
    target("move", question.status, question.previous_status)
    ordered = [q for q in chair_order(session, question.session_id) if q.starred == question.starred]
    index = next(i for i, q in enumerate(ordered) if q.id == question.id)
    new_index = max(0, min(len(ordered) - 1, index + offset))
    before = snapshot(question)
    ordered.insert(new_index, ordered.pop(index))
    for position, item in enumerate(ordered):
        item.position = position
    question.updated_at = now
    _record(session, question, actor, "move", before, None, now)
    session.flush()
    return question


def set_screen_attribution(session: Session, shown: bool) -> None:
    flags.put(session, SCREEN_ATTRIBUTION, "true" if shown else "false")


def screen_attribution(session: Session) -> bool:
    return flags.get(session, SCREEN_ATTRIBUTION) == "true"
