"""The Q&A queue's question cards, their buttons, and the panel for actions that need more than a click
(edit, dismiss with a reason, merge). All question text goes through ``st.text``.

Their words are the staff catalog's, in the page's language (``widgets.words``); a button's key is its
action, not its words, so a French queue and an English one act alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st
from babel.numbers import format_percent

from engagement.analysis import display
from engagement.i18n import N_, N_plural, Translator
from engagement.qa import listing, moderation
from engagement.qa.asking import MAX_QUESTION_CHARS, QuestionRefused
from engagement.qa.states import IllegalTransition, applies
from engagement.storage import db
from engagement.storage.models import QuestionStatus as S
from engagement.timeutil import to_utc, utcnow
from engagement.ui.widgets import words

PANEL = "queue-panel"
ROW = 6  # buttons a row
ERROR = "queue-error"
STATE_NAMES = {
    "pending": N_("incoming"),
    "follow_up": N_("follow up"),
    "approved": N_("approved"),
    "on_screen": N_("ON SCREEN"),
    "answered": N_("answered"),
    "dismissed": N_("dismissed"),
    "archived": N_("archived"),
    "merged": N_("merged"),
}

# (label, action) per button; an action the state does not allow is not offered.
CLICKS = [
    (N_("Claim"), "claim"),
    (N_("Release"), "release"),
    (N_("Approve"), "approve"),
    (N_("Follow up"), "follow_up"),
    (N_("Star"), "star"),
    (N_("Unstar"), "unstar"),
    (N_("Up"), "up"),
    (N_("Down"), "down"),
    (N_("On screen"), "show"),
    (N_("Off screen"), "hide"),
    (N_("Answered"), "answer"),
    (N_("Archive"), "archive"),
    (N_("Restore"), "restore"),
]
PANELS = [(N_("Edit…"), "edit"), (N_("Dismiss…"), "dismiss"), (N_("Merge…"), "merge")]
VOTES = N_plural("{n} vote", "{n} votes")


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
        st.session_state[ERROR] = words().gettext("Question #{id}: {error}").format(id=question_id, error=error)
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


def card(
    item: listing.QueueItem,
    actor: str,
    group_labels: dict[str, str],
    now: datetime | None = None,
    t: Translator | None = None,
) -> None:
    """One question's card: its state, votes, language, group and age in ``t``'s language (the
    page's), the question verbatim, and the buttons its state allows."""
    t = t or words()
    _ = t.gettext
    now = now or utcnow()
    with st.container(border=True, key=f"question-{item.id}"):
        age = int((now - item.created_at).total_seconds() // 60)
        meta = [
            f"#{item.id}",
            _(STATE_NAMES[item.status]),
            t.ngettext(*VOTES, item.votes).format(n=t.number(item.votes)),
            display.language_name(item.language, t) if item.language else _("language unknown"),
            group_labels.get(item.group_key or "", _("group not stated")),
            _("{n} min ago").format(n=t.number(age)) if age < 600 else "",
        ]
        st.text(("★ " if item.starred else "") + " · ".join(filter(None, meta)))
        st.text(item.text)
        if item.original_text:
            st.text(_("Original: {text}").format(text=item.original_text))
        for text in item.merged_texts:
            st.text(_("Also asked as: {text}").format(text=text))
        byline = ", ".join(filter(None, [item.display_name, item.affiliation]))
        if byline:
            st.text(_("From: {byline}").format(byline=byline))
        if item.flagged:
            st.text(_("⚑ Held for a moderator: {reason}").format(reason=item.flag_reason))
        if item.dismiss_reason and item.status == S.dismissed:
            st.text(_("Dismissed: {reason}").format(reason=item.dismiss_reason))
        if item.claimed_by and item.claimed_at and now - item.claimed_at < moderation.CLAIM_LASTS:
            st.text(_("Claimed by {name}").format(name=item.claimed_by))
        if item.similar:
            st.text(
                _("Similar: {questions}").format(
                    questions=", ".join(
                        f"#{other} ({format_percent(score, locale=t.locale)})" for other, score in item.similar[:5]
                    )
                )
            )
        buttons = _offered(item, actor, now)
        if not actor:
            return
        for n, (label, action) in enumerate(buttons):
            if n % ROW == 0:
                columns = st.columns(ROW)
            column = columns[n % ROW]
            key = f"{action}-{item.id}"
            if action in dict(PANELS).values():
                if column.button(_(label), key=key):
                    st.session_state[PANEL] = (action, item.id)
                    st.rerun(scope="app")
            else:
                column.button(
                    _(label),
                    key=key,
                    on_click=_perform_on_click,
                    args=(item.id, action, actor),
                    type="primary" if action in ("approve", "show") else "secondary",
                )


def panel(actor: str, t: Translator | None = None) -> None:
    """The open edit / dismiss / merge form, above the auto-refreshing list (a refresh never resets it);
    its words in ``t``'s language (the page's)."""
    t = t or words()
    _ = t.gettext
    action, question_id = st.session_state[PANEL]
    with db.reading() as session:
        item = listing.question(session, question_id)
        candidates = listing.merge_candidates(session, question_id) if action == "merge" else []
    if item is None:
        st.session_state.pop(PANEL)
        return
    titles = {
        "edit": _("Edit the question"),
        "dismiss": _("Dismiss the question"),
        "merge": _("Merge into another question"),
    }
    with st.form("queue-panel-form", border=True):
        st.subheader(titles[action])
        st.text(f"#{item.id}: {item.text}")
        options: dict[str, Any] = {}
        if action == "edit":
            options["text"] = st.text_area(
                _("Edited question (the participant's original is kept)"), value=item.text, max_chars=MAX_QUESTION_CHARS
            )
            approve = item.status in (S.pending, S.follow_up)
        elif action == "dismiss":
            reason = st.selectbox(
                _("Reason (counted in the report; the participant is not told)"),
                moderation.DISMISS_REASONS,
                format_func=lambda reason: _(str(reason)),  # moderation.DISMISS_REASONS, marked there
            )
            note = st.text_input(_("Note (optional)"), max_chars=200)
            options["reason"] = f"{reason}: {note.strip()}" if note.strip() else reason
        else:
            texts = dict(candidates)
            options["target"] = st.selectbox(
                _("Merge into (most similar first)"), list(texts), format_func=lambda i: f"#{i} {texts[i][:90]}"
            )
        confirm = st.form_submit_button(
            _("Edit and approve") if action == "edit" and approve else _("Confirm"),
            type="primary",
            disabled=not actor or (action == "merge" and not candidates),
        )
        cancel = st.form_submit_button(_("Cancel"))
    if cancel:
        st.session_state.pop(PANEL)
        st.rerun()
    if confirm:
        chosen = "edit_approve" if action == "edit" and approve else action
        if perform(question_id, chosen, actor, **options):
            st.session_state.pop(PANEL)
        st.rerun()
