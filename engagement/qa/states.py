"""The question state machine: which action moves a question from which state to which.

Incoming questions are ``pending`` (or ``follow_up``, put aside for later). Approving publishes them
to the room; one approved question per session can be ``on_screen``; then ``answered``, and
``archived``. ``dismiss`` and ``merge`` take a question out of the open states. ``restore`` undoes
dismiss, archive, answer and merge, back to the state the question was in before.
"""

from __future__ import annotations

from engagement.storage.models import QuestionStatus as S


class IllegalTransition(ValueError):
    """The action does not apply to a question in its current state (perhaps another moderator moved it)."""


OPEN = frozenset({S.pending, S.follow_up})
VISIBLE = frozenset({S.approved, S.on_screen})

# action -> (states it applies to, state it leads to). ``restore`` leads back to ``previous_status``.
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "approve": (OPEN, S.approved),
    "edit_approve": (OPEN, S.approved),
    "follow_up": (frozenset({S.pending}), S.follow_up),
    "dismiss": (OPEN | {S.approved}, S.dismissed),
    "show": (frozenset({S.approved}), S.on_screen),
    "hide": (frozenset({S.on_screen}), S.approved),
    "answer": (VISIBLE, S.answered),
    "archive": (frozenset({S.approved, S.answered, S.dismissed}), S.archived),
    "merge": (OPEN | VISIBLE, S.merged),
    "restore": (frozenset({S.dismissed, S.archived, S.answered, S.merged}), None),
}

# Actions that change a question without moving it, and the states they apply to.
IN_PLACE: dict[str, frozenset[str]] = {
    "edit": OPEN | {S.approved},
    "star": VISIBLE,
    "unstar": VISIBLE,
    "move": VISIBLE,
    "claim": OPEN | VISIBLE,
    "release": OPEN | VISIBLE,
}

# Where ``restore`` goes when the state before is unknown (a question imported in that state).
RESTORE_DEFAULT: dict[str, str] = {
    S.dismissed: S.pending,
    S.archived: S.approved,
    S.answered: S.approved,
    S.merged: S.pending,
}

ACTION_LABELS = {
    "approve": "approved",
    "edit_approve": "edited and approved",
    "follow_up": "marked for follow-up",
    "dismiss": "dismissed",
    "show": "put on screen",
    "hide": "taken off screen",
    "answer": "marked answered",
    "archive": "archived",
    "merge": "merged",
    "restore": "restored",
    "edit": "edited",
    "star": "starred",
    "unstar": "unstarred",
    "move": "moved",
    "claim": "claimed",
    "release": "released",
}


def applies(action: str, status: str) -> bool:
    if action in TRANSITIONS:
        return status in TRANSITIONS[action][0]
    if action in IN_PLACE:
        return status in IN_PLACE[action]
    raise ValueError(f"unknown action {action!r}")


def target(action: str, status: str, previous: str | None) -> str:
    """The state ``action`` leads to from ``status``; raises IllegalTransition when it does not apply."""
    if not applies(action, status):
        raise IllegalTransition(f"cannot {action.replace('_', ' ')} a question that is {status.replace('_', ' ')}")
    if action in IN_PLACE:
        return status
    if action == "restore":
        # A question taken off screen by an answer goes back among the approved, not onto the screen.
        if previous in (S.on_screen, None) or previous == status:
            return S.approved if previous == S.on_screen else RESTORE_DEFAULT[status]
        return previous
    leads_to = TRANSITIONS[action][1]
    assert leads_to is not None, "only restore leads back, and it returned above"
    return leads_to
