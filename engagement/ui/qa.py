"""What the three Q&A pages share: the participant's token, the moderator's name, the session picker."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engagement import settings
from engagement.analysis import analytics, live
from engagement.qa import participants
from engagement.storage import db, flags
from engagement.ui import auth

NO_SESSION = "No session takes questions yet."


def participant_hash() -> str:
    """This browser session's participant: a random token kept in the session, a keyed hash sent to the database."""
    if "participant-hash" not in st.session_state:
        token = participants.new_token()
        with db.writing() as session:
            key = participants.secret(session, auth.setting("PARTICIPANT_TOKEN_SECRET"))
        st.session_state["participant-token"] = token
        st.session_state["participant-hash"] = participants.hash_token(token, key)
    return st.session_state["participant-hash"]


def moderator_name() -> str:
    """Who the audit log names: the identity provider's name, or the name a moderator typed on this page."""
    if auth.oidc_configured():
        try:
            if st.user.is_logged_in:
                return str(st.user.get("name") or st.user.get("email") or "").split("@")[0]
        except AttributeError:
            pass
    return st.text_input(
        "Your name, for the audit log", key="moderator-name", max_chars=60, placeholder="e.g. Ana (hall A)"
    ).strip()


@st.cache_data(ttl=30, show_spinner=False)
def _agenda(url: str) -> tuple[pd.DataFrame, str | None]:
    with db.reading(url) as session:
        agenda = analytics.sessions(session)
        now = flags.now(session)
        current, upcoming = live.now_and_next(session, now)
    preferred = next((s.key for s in (current, upcoming) if s is not None and s.kind != "break"), None)
    return agenda, preferred


def session_picker(key: str, label: str = "Session") -> int | None:
    """A session select box, preselecting the session running now (else the next one)."""
    agenda, preferred = _agenda(settings.database_url())
    if agenda.empty:
        st.info(NO_SESSION)
        return None
    ids = [int(i) for i in agenda["id"]]
    titles = dict(zip(ids, agenda["title"], strict=True))
    keys = list(agenda["key"])
    index = keys.index(preferred) if preferred in keys else 0
    return st.selectbox(label, ids, index=index, format_func=lambda i: titles.get(i, str(i)), key=key)


def session_by_key(key: str | None) -> int | None:
    agenda, preferred = _agenda(settings.database_url())
    wanted = key or preferred
    match = agenda[agenda["key"] == wanted]
    return int(match["id"].iloc[0]) if not match.empty else None


def session_key(session_id: int) -> str | None:
    agenda, _ = _agenda(settings.database_url())
    match = agenda[agenda["id"] == session_id]
    return str(match["key"].iloc[0]) if not match.empty else None
