"""What the Mastodon reliability tests share: the worker's environment for tests/mastosim.py, an
event's posts written across its instances, and what a database holds of them, compared whole."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

from ..mastosim import MastodonSimulator

HASHTAGS = "#cthb18 #Alliance18"
TAGS = [("cthb18", "alliance18")]


def ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def command_env(sim: MastodonSimulator, *names: str, **extra: str) -> dict[str, str]:
    """The worker's settings for ``mastodon-poll`` over ``names``."""
    instances = ",".join(sim.base_url(n) for n in names)
    return {"MASTODON_INSTANCES": instances, "EVENT_HASHTAGS": HASHTAGS, **extra}


def malformed(sim: MastodonSimulator, instance: str, number: int) -> dict:
    """A served status that cannot be stored (its time is unreadable), a uri of its own."""
    broken = sim.render(sim.sites[instance], next(iter(sim.sites[instance].copies)))
    broken.update(uri=f"https://{sim.domain(instance)}/users/broken/statuses/{number}", created_at="yesterday")
    del broken["id"]  # the instance gives it a local id of its own
    return broken


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def stored(url: str) -> tuple[list, list, list]:
    """Everything the Mastodon poll keeps, without row ids and bookkeeping times: the posts (text,
    warning, counts, kind, author), the authors (handle, name, bio, group) and the rejected statuses
    (each named by its instance, tags and local id, its reason and what was kept of it). The page a
    rejected status was first read on is left out: a cut pass reads it on another page."""
    with closing(sqlite3.connect(sqlite_path(url), timeout=30)) as connection:
        posts = connection.execute(
            "SELECT p.platform, p.platform_id, p.current_id, p.text, p.content_warning, p.likes, p.retweets,"
            " p.replies, p.kind, p.collected, p.created_at, a.platform_user_id FROM post p"
            " LEFT JOIN author a ON a.id = p.author_id ORDER BY p.platform, p.platform_id"
        ).fetchall()
        authors = connection.execute(
            "SELECT platform, platform_user_id, handle, display_name, bio, followers, group_key FROM author"
            " ORDER BY platform, platform_user_id"
        ).fetchall()
        rejected = connection.execute("SELECT source, location, reason, raw FROM rejected_record").fetchall()
    kept = sorted((source, location.split(" (", 1)[0], reason, raw) for source, location, reason, raw in rejected)
    return posts, authors, kept


def checkpoints(url: str) -> list[tuple[str, str]]:
    """The poll's resume points, read with plain sqlite3 (cheap enough to poll beside the worker);
    [] before the worker has created its tables."""
    path = sqlite_path(url)
    if not os.path.exists(path):
        return []
    with closing(sqlite3.connect(path, timeout=30)) as connection:
        try:
            return connection.execute(
                "SELECT source, position FROM ingest_checkpoint WHERE source LIKE 'mastodon-poll:%' ORDER BY source"
            ).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise
