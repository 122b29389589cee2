"""The Q&A queue's question cards, their buttons, and the panel for actions that need more than a click
(edit, dismiss with a reason, merge). All question text goes through ``st.text``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from engagement.analysis import display
from engagement.qa import listing, moderation
from engagement.qa.asking import MAX_QUESTION_CHARS, QuestionRefused
from engagement.qa.states import IllegalTransition, applies
from engagement.storage import db
from engagement.storage.models import QuestionStatus as S
from engagement.timeutil import to_utc, utcnow

PANEL = "queue-panel"
ROW = 6  # buttons a row
ERROR = "queue-error"
STATE_NAMES = {
    "pending": "incoming",
    "follow_up": "follow up",
    "approved": "approved",
    "on_screen": "ON SCREEN",
    "answered": "answered",
    "dismissed": "dismissed",
    "archived": "archived",
    "merged": "merged",
}

# (label, action) per button; an action the state does not allow is not offered.
CLICKS = [
    ("Claim", "claim"),
    ("Release", "release"),
    ("Approve", "approve"),
    ("Follow up", "follow_up"),
    ("Star", "star"),
    ("Unstar", "unstar"),
    ("Up", "up"),
    ("Down", "down"),
    ("On screen", "show"),
    ("Off screen", "hide"),
    ("Answered", "answer"),
    ("Archive", "archive"),
    ("Restore", "restore"),
]
PANELS = [("Edit…", "edit"), ("Dismiss…", "dismiss"), ("Merge…", "merge")]


def notice(message: str) -> None:
    """A warning that may quote people's text (a moderator's name): shown verbatim."""
    with st.container(border=True):
        st.text(f"⚠ {message}")


def perform(question_id: int, action: str, actor: str, **options) -> bool:
    try:
        with db.writing() as session:
            if action in ("up", "down"):
                moderation.move(session, question_id, -1 if action == "up" else 1, actor)
            elif action == "merge":
                moderation.merge(session, question_id, options["target"], actor)
            else:
                moderation.act(session, question_id, action, actor, **options)
        return True
    except (IllegalTransition, QuestionRefused, ValueError) as error:
        st.session_state[ERROR] = f"Question #{question_id}: {error}"
        return False


def _perform_on_click(question_id: int, action: str, actor: str, **options: Any) -> None:
    """perform as a button's callback (Streamlit ignores its result; a failure is shown via ERROR)."""
    perform(question_id, action, actor, **options)


def _offered(item: listing.QueueItem, actor: str, now: datetime) -> list[tuple[str, str]]:
    claimed_by_other = (
        item.claimed_by
        and item.claimed_by != actor
        and item.claimed_at is not None
        and now - to_utc(item.claimed_at) < moderation.CLAIM_LASTS
    )
    buttons = []
    for label, action in CLICKS:
        state_action = "move" if action in ("up", "down") else action
        if not applies(state_action, item.status):
            continue
        if action == "claim" and (item.claimed_by == actor or claimed_by_other):
            continue
        if action == "release" and item.claimed_by != actor:
            continue
        if action in ("star", "unstar") and item.starred == (action == "star"):
            continue
        buttons.append((label, action))
    for label, action in PANELS:
        if applies("edit" if action == "edit" else action, item.status) or (
            action == "edit" and applies("edit_approve", item.status)
        ):
            buttons.append((label, action))
    return buttons


def card(item: listing.QueueItem, actor: str, group_labels: dict[str, str], now: datetime | None = None) -> None:
    now = now or utcnow()
    with st.container(border=True, key=f"question-{item.id}"):
        age = int((now - item.created_at).total_seconds() // 60)
        meta = [
            f"#{item.id}",
            STATE_NAMES[item.status],
            f"{item.votes} votes",
            display.language_name(item.language) if item.language else "language unknown",
            group_labels.get(item.group_key or "", "group not stated"),
            f"{age} min ago" if age < 600 else "",
        ]
        st.text(("★ " if item.starred else "") + " · ".join(filter(None, meta)))
        st.text(item.text)
        if item.original_text:
            st.text(f"Original: {item.original_text}")
        for text in item.merged_texts:
            st.text(f"Also asked as: {text}")
        byline = ", ".join(filter(None, [item.display_name, item.affiliation]))
        if byline:
            st.text(f"From: {byline}")
        if item.flagged:
            st.text(f"⚑ Held for a moderator: {item.flag_reason}")
        if item.dismiss_reason and item.status == S.dismissed:
            st.text(f"Dismissed: {item.dismiss_reason}")
        if item.claimed_by and item.claimed_at and now - item.claimed_at < moderation.CLAIM_LASTS:
            st.text(f"Claimed by {item.claimed_by}")
        if item.similar:
            st.text("Similar: " + ", ".join(f"#{other} ({score:.0%})" for other, score in item.similar[:5]))
        buttons = _offered(item, actor, now)
        if not actor:
            return
        for n, (label, action) in enumerate(buttons):
            if n % ROW == 0:
                columns = st.columns(ROW)
            column = columns[n % ROW]
            key = f"{action}-{item.id}"
            if action in dict(PANELS).values():
                if column.button(label, key=key):
                    st.session_state[PANEL] = (action, item.id)
                    st.rerun(scope="app")
            else:
                column.button(
                    label,
                    key=key,
                    on_click=_perform_on_click,
                    args=(item.id, action, actor),
                    type="primary" if action in ("approve", "show") else "secondary",
                )


def panel(actor: str) -> None:
    """The open edit / dismiss / merge form, above the auto-refreshing list (a refresh never resets it)."""
    action, question_id = st.session_state[PANEL]
    with db.reading() as session:
        item = listing.question(session, question_id)
        candidates = listing.merge_candidates(session, question_id) if action == "merge" else []
    if item is None:
        st.session_state.pop(PANEL)
        return
    titles = {"edit": "Edit the question", "dismiss": "Dismiss the question", "merge": "Merge into another question"}
    with st.form("queue-panel-form", border=True):
        st.subheader(titles[action])
        st.text(f"#{item.id}: {item.text}")
        options: dict[str, Any] = {}
        if action == "edit":
            options["text"] = st.text_area(
                "Edited question (the participant's original is kept)", value=item.text, max_chars=MAX_QUESTION_CHARS
            )
            approve = item.status in (S.pending, S.follow_up)
        elif action == "dismiss":
            reason = st.selectbox(
                "Reason (counted in the report; the participant is not told)", moderation.DISMISS_REASONS
            )
            note = st.text_input("Note (optional)", max_chars=200)
            options["reason"] = f"{reason}: {note.strip()}" if note.strip() else reason
        else:
            texts = dict(candidates)
            options["target"] = st.selectbox(
                "Merge into (most similar first)", list(texts), format_func=lambda i: f"#{i} {texts[i][:90]}"
            )
        confirm = st.form_submit_button(
            "Edit and approve" if action == "edit" and approve else "Confirm",
            type="primary",
            disabled=not actor or (action == "merge" and not candidates),
        )
        cancel = st.form_submit_button("Cancel")
    if cancel:
        st.session_state.pop(PANEL)
        st.rerun()
    if confirm:
        chosen = "edit_approve" if action == "edit" and approve else action
        if perform(question_id, chosen, actor, **options):
            st.session_state.pop(PANEL)
        st.rerun()
