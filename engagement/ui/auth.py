# Streamlit types st.user.get() as a union of proxies (str | bool | TokensProxy): the email is a str.
# mypy: disable-error-code="operator, union-attr"
"""Roles: participant (no sign-in), moderator, organiser (who can do all a moderator can).

With ``[auth]`` in ``.streamlit/secrets.toml``, people sign in with ``st.login`` (OIDC) and their
email decides the role (``[roles] organisers = [...]``, ``moderators = [...]``). Otherwise one
password field: ``ORGANISER_PASSWORD`` or ``MODERATOR_PASSWORD`` (environment first, then
secrets), compared in constant time; every failed attempt waits longer, per browser session and
across the whole process, so guessing is slow.

On the demo database (``flags.is_demo``) with neither a password nor ``[auth]`` configured, the
sign-in form offers one-click "Sign in as moderator (demo)" / "Sign in as organiser (demo)" buttons
instead, so that a newcomer can see every page. The button's callback checks the same conditions
again, on the server, when it is clicked; the role it grants is bound to the button on the server.

Every page calls ``require`` first: a page file run directly (a deep link to a freshly started
server runs it around the entry point) still shows nothing outside the person's role.

What the sign-in says is in the person's language (``engagement.ui.qa.translator``): a participant
who follows a staff link meets it before anyone has signed them in.
"""

from __future__ import annotations

import hmac
import threading
import time

import streamlit as st

from engagement import settings
from engagement.i18n import Translator

RANK = {"participant": 0, "moderator": 1, "organiser": 2}
PASSWORDS = (("organiser", "ORGANISER_PASSWORD"), ("moderator", "MODERATOR_PASSWORD"))
_failures_lock = threading.Lock()
_recent_failures: list[float] = []


def _secrets() -> dict:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets file: that is the normal case for a password set-up
        return {}


def setting(name: str) -> str | None:
    """A secret setting (``settings.SECRETS``): the environment first, then the Streamlit secrets."""
    return settings.secret(name) or _secrets().get(name) or None


def oidc_configured() -> bool:
    return "auth" in _secrets()


def role() -> str:
    if oidc_configured():
        try:
            if st.user.is_logged_in:
                roles = _secrets().get("roles", {})
                email = (st.user.get("email") or "").lower()
                if email in [e.lower() for e in roles.get("organisers", [])]:
                    return "organiser"
                if email in [e.lower() for e in roles.get("moderators", [])]:
                    return "moderator"
        except AttributeError:
            pass
    return st.session_state.get("role", "participant")


def allowed(minimum: str) -> bool:
    return RANK[role()] >= RANK[minimum]


def check_password(candidate: str) -> str | None:
    """The role a password opens, or None. Every configured password is compared, in constant time."""
    found = None
    for name, variable in PASSWORDS:
        secret = setting(variable)
        if secret and hmac.compare_digest(candidate.encode(), secret.encode()) and found is None:
            found = name
    return found


def _slow_down() -> None:
    """Failed attempts wait: doubling per browser session, and longer while the process sees many."""
    failures = st.session_state.get("failed_sign_ins", 0) + 1
    st.session_state["failed_sign_ins"] = failures
    now = time.monotonic()
    with _failures_lock:
        _recent_failures[:] = [t for t in _recent_failures if now - t < 60] + [now]
        recent = len(_recent_failures)
    time.sleep(min(0.5 * 2 ** (failures - 1), 8.0) + min(recent * 0.1, 5.0))


def _passwords_configured() -> bool:
    return any(setting(variable) for _, variable in PASSWORDS)


def _demo_database(fresh: bool = False) -> bool:
    """Whether the app's database carries the demo flag: the pages' cached reader (``widgets``), or
    read now (``fresh``) for a decision that grants a role. Unreadable counts as not the demo's."""
    from engagement import settings
    from engagement.storage import db, flags
    from engagement.ui.widgets import is_demo_database

    url = settings.database_url()
    try:
        if not fresh:
            return is_demo_database(url)
        with db.reading(url) as session:
            return flags.is_demo(session)
    except Exception:  # no database to ask: the open demo sign-in is not offered
        return False


def demo_sign_in_open(fresh: bool = False) -> bool:
    """One-click staff sign-in: only on the demo database, and only with no password and no OIDC."""
    return not oidc_configured() and not _passwords_configured() and _demo_database(fresh)


def _demo_sign_in(wanted: str) -> None:
    """The demo buttons' callback: the conditions are checked again now, whatever the page showed."""
    if wanted in ("moderator", "organiser") and demo_sign_in_open(fresh=True):
        st.session_state["role"] = wanted
        st.session_state["failed_sign_ins"] = 0


def _translator() -> Translator:
    from engagement.ui.qa import translator  # qa imports this module: asked for when a form is drawn

    return translator()


def sign_in_form(key: str = "sign-in", minimum: str = "moderator") -> None:
    """The way in for staff; ``minimum``: the role the page needs (the demo offers only roles that open it)."""
    _ = _translator().gettext
    if demo_sign_in_open():
        st.info(
            _(
                "This is the demo database and no staff password is configured, so anyone may sign in as "
                "staff with one click; on a real event set MODERATOR_PASSWORD / ORGANISER_PASSWORD or OIDC "
                "(docs/deploy.md)."
            ),
            icon=":material/science:",
        )
        labels = {"moderator": _("Sign in as moderator (demo)"), "organiser": _("Sign in as organiser (demo)")}
        for name in ("moderator", "organiser"):
            if RANK[name] >= RANK[minimum]:
                st.button(labels[name], key=f"{key}-demo-{name}", on_click=_demo_sign_in, args=(name,))
        return
    if oidc_configured():
        st.button(_("Sign in"), on_click=st.login, key=f"{key}-oidc")
        return
    if not _passwords_configured():
        st.info(_("No moderator or organiser password is configured (MODERATOR_PASSWORD, ORGANISER_PASSWORD)."))
        return
    with st.form(key, clear_on_submit=True):
        password = st.text_input(_("Password"), type="password", key=f"{key}-password")
        if st.form_submit_button(_("Sign in")):
            opened = check_password(password)
            if opened:
                st.session_state["role"] = opened
                st.session_state["failed_sign_ins"] = 0
                st.rerun()
            _slow_down()
            st.error(_("That password opens nothing. Try again."))


def sign_out() -> None:
    if oidc_configured():
        st.logout()
    st.session_state["role"] = "participant"


def require(minimum: str) -> None:
    """Stop the page unless the person's role reaches ``minimum``; offer to sign in instead."""
    if allowed(minimum):
        return
    t = _translator()
    from engagement.ui.qa import document_language

    document_language(t.code)
    st.title(t.gettext("Sign in"))
    if minimum == "organiser":
        st.write(t.gettext("This page is for organisers."))
    else:
        st.write(t.gettext("This page is for moderators and organisers."))
    sign_in_form(f"sign-in-{minimum}", minimum)
    st.stop()
