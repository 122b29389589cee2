# mypy: disable-error-code="call-overload"
# (for SQLModel column expressions: select() of model attributes typed as their Python values)
"""What is in the database, for ``python -m ingest status`` and the Ingest status page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from engagement.storage import flags
from engagement.storage.models import Author, IngestCheckpoint, IngestRun, Post, Question, RejectedRecord


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
    }
