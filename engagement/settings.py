"""Settings from the environment. Secrets are read here and never logged or shown."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_DATA_DIR / 'engagement.db'}"
DEFAULT_X_API_BASE_URL = "https://api.twitter.com"
DEFAULT_QA_RETENTION_DAYS = 90
DEFAULT_BLUESKY_API_BASE_URL = "https://bsky.social"
DEFAULT_BLUESKY_APPVIEW_URL = "https://public.api.bsky.app"
# Each instance sees only the posts that federated to it: the largest general ones (whose users
# follow the most remote accounts, so the most posts federate to them) and the EU's and the EU
# policy community's own, for an OSCE event. Organisers add the instances their community is on.
DEFAULT_MASTODON_INSTANCES = (
    "https://mastodon.social",
    "https://mastodon.online",
    "https://mstdn.social",
    "https://eupolicy.social",
    "https://social.network.europa.eu",
)
DEFAULT_MASTODON_RESCAN_MINUTES = 60

# Every secret setting: read through ``secret`` and scrubbed from any message by ``redact``.
SECRETS = (
    "X_BEARER_TOKEN",
    "MODERATOR_PASSWORD",
    "ORGANISER_PASSWORD",
    "PARTICIPANT_TOKEN_SECRET",
    "BLUESKY_HANDLE",
    "BLUESKY_APP_PASSWORD",
    "INDICO_TOKEN",
    "MASTODON_TOKENS",
)


def secret(name: str) -> str | None:
    """The secret setting ``name`` (one of ``SECRETS``), or None when unset or empty."""
    if name not in SECRETS:
        raise ValueError(f"{name} is not listed in settings.SECRETS, so redact would not scrub it")
    return os.environ.get(name) or None


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def data_dir() -> Path:
    """Where the organisers' event files live (``EVENT_DATA_DIR`` to point elsewhere)."""
    return Path(os.environ.get("EVENT_DATA_DIR") or DEFAULT_DATA_DIR)


def event_hashtags() -> list[str] | None:
    """``EVENT_HASHTAGS`` (comma or space separated) overrides ``event.toml``'s hashtags."""
    raw = os.environ.get("EVENT_HASHTAGS", "").replace(",", " ").split()
    return [tag if tag.startswith("#") else f"#{tag}" for tag in raw] or None


def event_accounts() -> list[str] | None:
    """``EVENT_ACCOUNTS`` (comma or space separated) overrides ``event.toml``'s accounts."""
    return os.environ.get("EVENT_ACCOUNTS", "").replace(",", " ").split() or None


def public_url() -> str | None:
    """The address people reach the app at (``PUBLIC_URL``, e.g. ``https://ask.example.org``), for the
    projector's join link and QR code; None: the address the screen's own browser used."""
    raw = (os.environ.get("PUBLIC_URL") or "").strip().rstrip("/")
    if raw and not raw.startswith(("http://", "https://")):
        raw = f"https://{raw}"
    return raw or None


def x_query_limit() -> int:
    """The longest search query or stream rule the X plan takes (``X_QUERY_LIMIT``): 512 characters on
    the lower plans, 1,024 on Pro and up. Longer event queries are split."""
    raw = os.environ.get("X_QUERY_LIMIT", "512").strip()
    try:
        limit = int(raw)
    except ValueError:
        raise ValueError(f"X_QUERY_LIMIT={raw!r} is not a whole number") from None
    if limit < 64:
        raise ValueError(f"X_QUERY_LIMIT={limit} is too short for a query")
    return limit


def x_bearer_token() -> str | None:
    return secret("X_BEARER_TOKEN")


def participant_token_secret() -> str | None:
    """The key participants' tokens are hashed with (``PARTICIPANT_TOKEN_SECRET``); None: the stored one."""
    return secret("PARTICIPANT_TOKEN_SECRET")


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


def jetstream_urls() -> list[str]:
    """The Jetstream ``…/subscribe`` endpoints to try in turn (``JETSTREAM_URL``, comma separated):
    by default Bluesky's four public hosts, two in each US region, so a host or a region going away
    leaves three to fail over to."""
    raw = os.environ.get("JETSTREAM_URL", "")
    urls = [url.strip() for url in raw.split(",") if url.strip()]
    return urls or [
        "wss://jetstream1.us-east.bsky.network/subscribe",
        "wss://jetstream2.us-east.bsky.network/subscribe",
        "wss://jetstream1.us-west.bsky.network/subscribe",
        "wss://jetstream2.us-west.bsky.network/subscribe",
    ]


def jetstream_stall_seconds() -> float:
    """Seconds without a frame before ``bsky-stream`` reconnects (``JETSTREAM_STALL_S``, default 30).
    Posts and reposts together arrive several a second at any hour, so 30 s of silence is a stuck
    connection, not a quiet network."""
    raw = os.environ.get("JETSTREAM_STALL_S", "30").strip()
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"JETSTREAM_STALL_S={raw!r} is not a number of seconds") from None
    if seconds <= 0:
        raise ValueError(f"JETSTREAM_STALL_S={seconds:g} must be more than 0")
    return seconds


def bluesky_api_base_url() -> str:
    """The PDS ``bsky-search`` signs in to and searches through (``BLUESKY_API_BASE_URL``, default
    ``https://bsky.social``): searchPosts refuses unauthenticated callers since January 2025."""
    return (os.environ.get("BLUESKY_API_BASE_URL") or DEFAULT_BLUESKY_API_BASE_URL).rstrip("/")


def bluesky_appview_url() -> str | None:
    """The AppView posts and profiles are hydrated from (``BLUESKY_APPVIEW_URL``, default Bluesky's
    public one, which serves getPosts and getProfiles without signing in); ``off``: no hydration."""
    raw = (os.environ.get("BLUESKY_APPVIEW_URL") or DEFAULT_BLUESKY_APPVIEW_URL).strip()
    return None if raw.lower() == "off" else raw.rstrip("/")


def bluesky_handle() -> str | None:
    """The account ``bsky-search`` signs in as (``BLUESKY_HANDLE``: its handle, or its email)."""
    return secret("BLUESKY_HANDLE")


def bluesky_app_password() -> str | None:
    """An app password of that account (``BLUESKY_APP_PASSWORD``; Settings → App passwords)."""
    return secret("BLUESKY_APP_PASSWORD")


def qa_retention_days() -> int:
    """Days questions are kept after they are asked (``QA_RETENTION_DAYS``, default 90)."""
    return int(os.environ.get("QA_RETENTION_DAYS") or DEFAULT_QA_RETENTION_DAYS)


def _env_int(name: str, default: int) -> int:
    """A whole number of at least 1 from the environment; ``default`` when unset or not a number."""
    try:
        return max(1, int(os.environ.get(name) or default))
    except ValueError:
        return default


def qa_limits(questions: int, votes: int, session_questions: int, session_votes: int) -> tuple[int, int, int, int]:
    """The Q&A rate limits per minute: questions and votes per participant (``QA_QUESTIONS_PER_MINUTE``,
    ``QA_VOTES_PER_MINUTE``) and per session (``QA_SESSION_QUESTIONS_PER_MINUTE``,
    ``QA_SESSION_VOTES_PER_MINUTE``); the arguments are the defaults."""
    return (
        _env_int("QA_QUESTIONS_PER_MINUTE", questions),
        _env_int("QA_VOTES_PER_MINUTE", votes),
        _env_int("QA_SESSION_QUESTIONS_PER_MINUTE", session_questions),
        _env_int("QA_SESSION_VOTES_PER_MINUTE", session_votes),
    )


def redact(text: str) -> str:
    """Remove every configured secret (``SECRETS``) from a message before it is logged or shown."""
    for name in SECRETS:
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, f"<{name} redacted>")
    for instance, token in _mastodon_token_pairs():  # each token alone, as a request would carry it
        if len(token) >= 4:
            text = text.replace(token, f"<MASTODON_TOKENS for {instance} redacted>")
    url = os.environ.get("DATABASE_URL", "")
    if "@" in url and "://" in url:
        credentials = url.split("://", 1)[1].rsplit("@", 1)[0]
        if ":" in credentials:
            text = text.replace(credentials.split(":", 1)[1], "<database password redacted>")
    return text


def indico_token() -> str | None:
    """An Indico API token (``INDICO_TOKEN``, ``indp_…``) for ``agenda-import`` of a timetable that
    is not public; sent only to URLs under ``/export/``."""
    return secret("INDICO_TOKEN")


def mastodon_instances() -> list[str]:
    """The Mastodon instances ``mastodon-poll`` reads (``MASTODON_INSTANCES``: base URLs, comma
    separated; ``https://`` is assumed where no scheme is given), by default
    ``DEFAULT_MASTODON_INSTANCES``."""
    raw = os.environ.get("MASTODON_INSTANCES", "")
    urls = [url.strip().rstrip("/") for url in raw.split(",") if url.strip().rstrip("/")]
    urls = [url if url.startswith(("http://", "https://")) else f"https://{url}" for url in urls]
    return list(dict.fromkeys(urls or DEFAULT_MASTODON_INSTANCES))


def mastodon_instance_key(base_url: str) -> str:
    """How ``MASTODON_TOKENS`` and the resume points name an instance: its base URL without the
    scheme, lower-cased (``mastodon.social``)."""
    return base_url.split("://", 1)[-1].rstrip("/").lower()


def _mastodon_token_pairs() -> list[tuple[str, str]]:
    raw = os.environ.get("MASTODON_TOKENS") or ""
    pairs = []
    for item in raw.split(","):
        instance, equals, token = item.strip().partition("=")
        if equals and instance.strip() and token.strip():
            pairs.append((mastodon_instance_key(instance.strip()), token.strip()))
    return pairs


def mastodon_tokens() -> dict[str, str]:
    """Access tokens for instances that do not serve hashtag timelines anonymously
    (``MASTODON_TOKENS``, secret: ``instance=token,…``, the instance as in ``MASTODON_INSTANCES``,
    with or without ``https://``), by ``mastodon_instance_key``. A token needs only the ``read:statuses``
    scope (Preferences → Development → New application on that instance)."""
    if secret("MASTODON_TOKENS") is None:
        return {}
    return dict(_mastodon_token_pairs())


def mastodon_rescan_minutes() -> float:
    """How far back every ``mastodon-poll`` pass reads again (``MASTODON_RESCAN_MINUTES``, default
    60): a post that federates late gets an id dated to its creation, below ids already read, and is
    caught only by reading that far back again."""
    raw = os.environ.get("MASTODON_RESCAN_MINUTES", str(DEFAULT_MASTODON_RESCAN_MINUTES)).strip()
    try:
        minutes = float(raw)
    except ValueError:
        raise ValueError(f"MASTODON_RESCAN_MINUTES={raw!r} is not a number of minutes") from None
    if minutes < 0:
        raise ValueError(f"MASTODON_RESCAN_MINUTES={minutes:g} must not be negative")
    return minutes
