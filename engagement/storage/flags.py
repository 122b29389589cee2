"""Database-wide facts kept in the ``setting`` table: the demo flag and the replay clock."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from engagement.storage.models import Setting
from engagement.timeutil import to_utc, utcnow

DEMO = "demo"
REPLAY_CLOCK = "replay_clock"


def get(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def put(session: Session, key: str, value: str) -> None:
    session.merge(Setting(key=key, value=value, updated_at=utcnow()))


def is_demo(session: Session) -> bool:
    return get(session, DEMO) == "true"


def mark_demo(session: Session) -> None:
    put(session, DEMO, "true")


def set_replay_clock(session: Session, moment: datetime | None) -> None:
    """The simulated "now" while a collection is replayed; ``None`` returns to the real clock."""
    if moment is None:
        row = session.get(Setting, REPLAY_CLOCK)
        if row:
            session.delete(row)
    else:
        put(session, REPLAY_CLOCK, to_utc(moment).isoformat())


def now(session: Session) -> datetime:
    """The dashboard's "now": the replay clock when a replay runs, else the real one."""
    value = get(session, REPLAY_CLOCK)
    return to_utc(datetime.fromisoformat(value)) if value else utcnow()
