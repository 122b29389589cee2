# mypy: disable-error-code="call-overload"
# (for SQLModel column expressions: select() of model attributes typed as their Python values)
"""What is in the database, for ``python -m ingest status`` and the Ingest status page: the counts,
posts per network, and each source's state and lag (``sources``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from engagement.storage import flags
from engagement.storage.models import Author, IngestCheckpoint, IngestRun, Post, Question, RejectedRecord
from engagement.timeutil import to_utc, utcnow

# The collecting sources, always listed (with "never run" until they have); the others (bsky-search,
# bsky-hydrate, imports, replays) once they have a run or a resume point.
COLLECTORS = ("x-poll", "x-stream", "bsky-stream", "mastodon-poll")
NETWORK_OF_SOURCE = {"x": "x", "bsky": "bluesky", "mastodon": "mastodon"}


def _count(session: Session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def database_status(session: Session) -> dict[str, Any]:
    """Keys ``posts``, ``context_posts``, ``authors``, ``questions``, ``rejected`` and ``checkpoints`` are
    relied on by scripts outside the repository: keep them."""
    checkpoints = {
        row.source: row.position for row in session.scalars(select(IngestCheckpoint).order_by(IngestCheckpoint.source))
    }
    latest = select(IngestRun.source, func.max(IngestRun.id).label("id")).group_by(IngestRun.source).subquery()
    runs = {
        run.source: {
            "status": run.status,
            "started_at": run.started_at.isoformat(),
            "ended_at": run.ended_at.isoformat() if run.ended_at else None,
            "counts": run.counts,
            "last_error": run.last_error,
        }
        for run in session.scalars(select(IngestRun).join(latest, IngestRun.id == latest.c.id))
    }
    newest = session.scalar(select(func.max(Post.created_at)).where(col(Post.collected).is_(True)))
    by_platform: dict[str, int] = dict(
        session.execute(
            select(Post.platform, func.count()).where(col(Post.collected).is_(True)).group_by(Post.platform)
        ).all()
    )
    by_source = sources(session, by_platform=by_platform)
    return {
        "posts": _count(session, Post, col(Post.collected).is_(True)),
        "context_posts": _count(session, Post, col(Post.collected).is_(False)),
        "posts_by_platform": {platform: int(n) for platform, n in sorted(by_platform.items())},
        "authors": _count(session, Author),
        "questions": _count(session, Question),
        "rejected": _count(session, RejectedRecord),
        "checkpoints": checkpoints,
        "demo": flags.is_demo(session),
        "newest_post_at": newest.isoformat() if newest else None,
        "last_runs": runs,
        # Keyed by source (a dict, as "checkpoints" and "last_runs"), in sources()'s order.
        "sources": {row["source"]: row for row in by_source},
    }


def family(source: str) -> str:
    """The source a resume point or run belongs to: ``x-poll:2`` and ``bsky-search:<window>`` are
    resume points of ``x-poll`` and ``bsky-search``."""
    return source.split(":", 1)[0]


def network_of_source(source: str) -> str | None:
    """The network a source collects from (``x-poll`` → x, ``bsky-stream`` → bluesky), None for
    imports and replays (any network)."""
    return NETWORK_OF_SOURCE.get(family(source).split("-", 1)[0])


def _stream_time(position: str) -> datetime | None:
    """The event time a Jetstream resume point stands at (``{"time_us": …}``), else None."""
    try:
        time_us = json.loads(position).get("time_us")
    except (ValueError, AttributeError):
        return None
    return datetime.fromtimestamp(time_us / 1_000_000, UTC) if isinstance(time_us, int) else None


def sources(
    session: Session, now: datetime | None = None, by_platform: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """Each source's state and lag, in ``COLLECTORS`` order then by name: its last run (``state``:
    running, ok, failed, interrupted, rejected, or "never run"; ``started_at``, ``ended_at``,
    ``last_error``), its resume points (``checkpoints``: how many; ``checkpoint_at`` and
    ``checkpoint_age_s``, of the newest), ``lag_s`` (how far behind now the stream's resume point
    is, for a Jetstream source; None where a resume point holds no time), the ``network`` it
    collects from and that network's collected ``posts``."""
    now = to_utc(now) if now else utcnow()
    if by_platform is None:
        by_platform = dict(
            session.execute(
                select(Post.platform, func.count()).where(col(Post.collected).is_(True)).group_by(Post.platform)
            ).all()
        )
    latest = select(IngestRun.source, func.max(IngestRun.id).label("id")).group_by(IngestRun.source).subquery()
    last_runs: dict[str, IngestRun] = {}
    for found in session.scalars(select(IngestRun).join(latest, IngestRun.id == latest.c.id)):
        name = family(found.source)
        if name not in last_runs or (found.id or 0) > (last_runs[name].id or 0):
            last_runs[name] = found
    points: dict[str, list[IngestCheckpoint]] = {}
    for point in session.scalars(select(IngestCheckpoint)):
        points.setdefault(family(point.source), []).append(point)
    names = [*COLLECTORS, *sorted((set(last_runs) | set(points)) - set(COLLECTORS))]
    rows = []
    for name in names:
        run: IngestRun | None = last_runs.get(name)
        held = points.get(name, [])
        newest = max(held, key=lambda p: to_utc(p.updated_at)) if held else None
        stream = _stream_time(newest.position) if newest else None
        network = network_of_source(name)
        rows.append(
            {
                "source": name,
                "state": run.status if run else "never run",
                "started_at": to_utc(run.started_at).isoformat() if run else None,
                "ended_at": to_utc(run.ended_at).isoformat() if run and run.ended_at else None,
                "last_error": run.last_error if run else None,
                "checkpoints": len(held),
                "checkpoint_at": to_utc(newest.updated_at).isoformat() if newest else None,
                "checkpoint_age_s": round((now - to_utc(newest.updated_at)).total_seconds(), 1) if newest else None,
                "lag_s": round((now - stream).total_seconds(), 1) if stream else None,
                "network": network,
                "posts": int(by_platform.get(network, 0)) if network else None,
            }
        )
    return rows
