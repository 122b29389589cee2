"""A plausible moderation history for the demo's imported questions, so that the audit log and the report's
moderation figures have something to show. Deterministic: the question's text decides every choice."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlmodel import Session

from engagement.qa.moderation import DISMISS_REASONS
from engagement.storage.models import ModerationAction, Question
from engagement.storage.models import QuestionStatus as S

MODERATORS = ("Demo moderator A", "Demo moderator B")
# The actions that lead from pending to each state.
PATHS: dict[str, list[str]] = {
    S.follow_up: ["follow_up"],
    S.approved: ["approve"],
    S.on_screen: ["approve", "show"],
    S.answered: ["approve", "show", "answer"],
    S.dismissed: ["dismiss"],
    S.archived: ["approve", "answer", "archive"],
}
STEPS = {
    "approve": (S.pending, S.approved),
    "follow_up": (S.pending, S.follow_up),
    "dismiss": (S.pending, S.dismissed),
    "show": (S.approved, S.on_screen),
    "answer": (S.on_screen, S.answered),
    "archive": (S.answered, S.archived),
}


def record_history(session: Session, question: Question) -> None:
    """Audit entries (and a dismissal reason) for a demo question imported straight into its final state."""
    path = PATHS.get(question.status)
    if not path:
        return
    assert question.id is not None  # the importer flushes a demo question before its history
    digest = hashlib.sha256(question.text.encode()).digest()
    actor = MODERATORS[digest[0] % len(MODERATORS)]
    if question.status == S.dismissed:
        question.dismiss_reason = question.dismiss_reason or DISMISS_REASONS[digest[1] % len(DISMISS_REASONS)]
    if question.status == S.archived:
        question.previous_status = question.previous_status or S.answered
    elif question.status != S.follow_up:
        question.previous_status = question.previous_status or STEPS[path[-1]][0]
    moment = question.created_at
    for n, action in enumerate(path):
        before, after = STEPS[action]
        if action == "answer" and "show" not in path:
            before = S.approved
        moment = moment + timedelta(minutes=2 + digest[2 + n] % 9)
        session.add(
            ModerationAction(
                question_id=question.id,
                session_id=question.session_id,
                actor=actor,
                action=action,
                reason=question.dismiss_reason if action == "dismiss" else None,
                before={"status": before},
                after={"status": after},
                at=moment,
            )
        )
