# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="call-overload"
"""Participants are anonymous: a random token lives in the browser session; the server keeps only a keyed
hash of it, so the database alone cannot tie a question to a browser.

The key is ``PARTICIPANT_TOKEN_SECRET`` (set it, the same on every app process, in a deployment); without
it, one is generated at first use and kept in the database's settings.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from engagement import settings
from engagement.storage import flags
from engagement.storage.models import Setting
from engagement.timeutil import utcnow

SECRET_SETTING = "participant_token_secret"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def secret(session: Session, configured: str | None = None) -> str:
    """The hashing key: ``configured`` (the app passes its secrets' value), the environment, or the stored one."""
    configured = configured or settings.participant_token_secret()
    if configured:
        return configured
    stored = flags.get(session, SECRET_SETTING)
    if stored is None:
        # Two app processes may get here at once: the first insert wins and both read it back.
        insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(Setting)
        session.execute(
            insert.values(key=SECRET_SETTING, value=secrets.token_hex(32), updated_at=utcnow()).on_conflict_do_nothing()
        )
        stored = session.scalar(select(Setting.value).where(Setting.key == SECRET_SETTING))
        if stored is None:
            raise RuntimeError("the participant token secret was inserted but cannot be read back")
    return stored


def hash_token(token: str, key: str) -> str:
    return hmac.new(key.encode(), token.encode(), hashlib.sha256).hexdigest()
