"""The pages through AppTest: a page run as a role, the Q&A form, the OIDC secrets."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from engagement.storage import db
from engagement.storage.models import AgendaSession, Question

from . import ROOT

PANEL_1 = "d1-panel-1"


SEND = "FormSubmitter:ask-form-Send question"


def page(url, monkeypatch, path=None, role=None, **query):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MODERATOR_PASSWORD", "moderator-secret-1")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if role:
        at.session_state["role"] = role
    at.run()
    # The first run lands on the home page, which moves on with st.switch_page (dropping the query):
    # the query belongs to the page asked for, as in a deep link.
    at.query_params.update(query)
    if path:
        at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def questions(url):
    with db.reading(url) as session:
        return session.scalars(select(Question).order_by(Question.id)).all()


def panel_1(url) -> int:
    with db.reading(url) as session:
        return session.scalar(select(AgendaSession.id).where(AgendaSession.key == PANEL_1))


def ask(at, text, **personal):
    at.text_area(key="ask-text").input(text)
    for key, value in personal.items():
        if key == "ask-consent":
            at.checkbox(key=key).check()
        else:
            at.text_input(key=key).input(value)
    at.button(key=SEND).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


OIDC_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a-cookie-secret-of-some-length",
        "client_id": "engagement",
        "client_secret": "client-secret",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
    },
    "roles": {"organisers": ["Chair@Example.org"], "moderators": ["floor@example.org"]},
}
