"""The Groups page's observations read the panels only: ``layers.by_session(posts=False)`` leaves the
posts per (session, group) unread, and the observations are the same as from the whole table."""

from __future__ import annotations

from sqlalchemy import event

from engagement.analysis import analytics, layers
from engagement.storage import db


def test_the_observations_need_no_posts_per_session_and_group(demo_db):
    sent: list[str] = []
    engine = db.get_engine(demo_db)

    def listen(*args) -> None:
        sent.append(args[2])

    event.listen(engine, "before_cursor_execute", listen)
    try:
        with db.reading(demo_db) as session:
            heard = layers.by_group(session, analytics.ALL, None)
            heard["registered"] = heard["speakers"] + 1  # a room, so that the panels are looked at
            heard["registered_share"] = heard["registered"] / heard["registered"].sum()
            sent.clear()
            panels = layers.by_session(session, analytics.ALL, posts=False)
            cells = [s for s in sent if "GROUP BY anon_1.session_id, author.group_key" in s]
        with db.reading(demo_db) as session:
            whole = layers.by_session(session, analytics.ALL)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert cells == [], "no posts per (session, group) read"
    assert panels["posts"].sum() == 0 < whole["posts"].sum()
    assert layers.observations(heard, panels) == layers.observations(heard, whole) != []
    assert (panels["speakers"] > 0).any()
