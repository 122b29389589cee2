# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="attr-defined, call-overload"
"""Aggregates the pages show, computed in SQL over indexed columns and returned as pandas frames."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from engagement.analysis import display
from engagement.storage.models import Author, Post, StakeholderGroup


def newest_posts(
    session: Session, limit: int = 20, until: datetime | None = None, networks: Sequence[str] | None = None
) -> pd.DataFrame:
    """The newest collected posts, up to ``until`` (the replay clock in a demo), on ``networks``
    (None: every network), each with its network and link. For signed-in staff: posts hidden from the
    public are among them."""
    where = [Post.collected.is_(True)] + ([Post.created_at <= until] if until else [])
    if networks is not None:
        where.append(Post.platform.in_(list(networks)))
    rows = session.execute(
        select(
            Post.created_at,
            Author.handle,
            Author.display_name,
            StakeholderGroup.label,
            Post.kind,
            Post.text,
            Post.current_id,
            Post.platform,
            Post.platform_id,
            Post.content_warning,
        )
        .outerjoin(Author, Author.id == Post.author_id)
        .outerjoin(StakeholderGroup, StakeholderGroup.key == Author.group_key)
        .where(*where)
        .order_by(Post.created_at.desc())
        .limit(limit)
    ).all()
    columns = ["time", "handle", "name", "group", "kind", "text", "id", "network", "post", "content_warning"]
    frame = pd.DataFrame(rows, columns=columns)
    return display.with_links(frame)
