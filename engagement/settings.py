"""Settings from the environment. Secrets are read here and never logged or shown."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_DATA_DIR / 'engagement.db'}"
DEFAULT_X_API_BASE_URL = "https://api.twitter.com"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def data_dir() -> Path:
    """Where the organisers' event files live (``EVENT_DATA_DIR`` to point elsewhere)."""
    return Path(os.environ.get("EVENT_DATA_DIR") or DEFAULT_DATA_DIR)


def event_hashtags() -> list[str] | None:
    """``EVENT_HASHTAGS`` (comma or space separated) overrides ``event.toml``'s hashtags."""
    raw = os.environ.get("EVENT_HASHTAGS", "").replace(",", " ").split()
    return [tag if tag.startswith("#") else f"#{tag}" for tag in raw] or None


def x_bearer_token() -> str | None:
    return os.environ.get("X_BEARER_TOKEN") or None


def x_api_base_url() -> str:
    return (os.environ.get("X_API_BASE_URL") or DEFAULT_X_API_BASE_URL).rstrip("/")


def x_api_timeout() -> float:
    """Seconds to wait for an X API response before retrying (``X_API_TIMEOUT``, default 30)."""
    return float(os.environ.get("X_API_TIMEOUT") or 30)


def x_api_retry(base: float, cap: float, attempts: int) -> tuple[float, float, int]:
    """The retry policy for transient X API failures: the first backoff step in seconds
    (``X_API_RETRY_DELAY``), its cap (``X_API_RETRY_MAX_DELAY``) and the failures in a row before
    giving up (``X_API_RETRIES``); the arguments are the defaults."""
    return (
        float(os.environ.get("X_API_RETRY_DELAY") or base),
        float(os.environ.get("X_API_RETRY_MAX_DELAY") or cap),
        int(os.environ.get("X_API_RETRIES") or attempts),
    )


def redact(text: str) -> str:
    """Remove every configured secret from a message before it is logged or shown."""
    for name in ("X_BEARER_TOKEN", "MODERATOR_PASSWORD", "ORGANISER_PASSWORD", "PARTICIPANT_TOKEN_SECRET"):
        secret = os.environ.get(name)
        if secret and len(secret) >= 4:
            text = text.replace(secret, f"<{name} redacted>")
    url = os.environ.get("DATABASE_URL", "")
    if "@" in url and "://" in url:
        credentials = url.split("://", 1)[1].rsplit("@", 1)[0]
        if ":" in credentials:
            text = text.replace(credentials.split(":", 1)[1], "<database password redacted>")
    return text
