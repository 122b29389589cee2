"""What every page needs from the core: a migrated database with the event loaded, read once per process."""

from __future__ import annotations

from functools import lru_cache

from engagement.rules.event import EventConfig, load_event
from engagement.rules.sync import ensure_event
from engagement.storage import db


@lru_cache(maxsize=1)
def start() -> EventConfig:
    """Apply pending migrations and load the event files into an empty database (first start)."""
    db.get_engine()
    with db.writing() as session:
        ensure_event(session)
    return load_event()
