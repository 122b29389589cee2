"""Participants are anonymous: a random token lives in the browser session; the server keeps only a keyed
hash of it, so the database alone cannot tie a question to a browser.

The key is ``PARTICIPANT_TOKEN_SECRET`` (set it, the same on every app process, in a deployment); without
it, one is generated at first use and kept in the database's settings.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from sqlmodel import Session

from .. import flags

SECRET_SETTING = "participant_token_secret"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def secret(session: Session, configured: str | None = None) -> str:
    """The hashing key: ``configured`` (the app passes its secrets' value), the environment, or the stored one."""
    configured = configured or os.environ.get("PARTICIPANT_TOKEN_SECRET")
    if configured:
        return configured
    stored = flags.get(session, SECRET_SETTING)
    if stored is None:
        stored = secrets.token_hex(32)
        flags.put(session, SECRET_SETTING, stored)
        session.flush()
    return stored


def hash_token(token: str, key: str) -> str:
    return hmac.new(key.encode(), token.encode(), hashlib.sha256).hexdigest()
