"""A figure several sections show is read once a read session's snapshot (``analytics.remembered``),
and never kept for a session that writes."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, select, update

from engagement.analysis import analytics, layers
from engagement.collection.jsonl import import_files
from engagement.demo import write_collection
from engagement.storage import db
from engagement.storage.models import Author


def _statements(url: str) -> list[str]:
    sent: list[str] = []
    event.listen(db.get_engine(url), "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


def test_a_figure_is_read_once_a_snapshot_and_again_after_a_write(db_url, tmp_path):
    posts, _ = write_collection(tmp_path / "demo.jsonl", posts=150, seed=5)
    import_files([posts], url=db_url, progress=False)
    f = analytics.Filters(networks=("x",))
    sent = _statements(db_url)
    with db.reading(db_url) as session:
        first = analytics.by_group(session, f)
        read = len(sent)
        first.loc[0, "posts"] = -1  # a caller changing its frame changes nobody else's
        again = analytics.by_group(session, f)
        cells = analytics.posts_by_session_group(session, f)
        layers.by_session(session, f)
        analytics.session_by_group(session, f)
        unfiltered = analytics.by_group(session)
    per_group = [statement for statement in sent if "GROUP BY author.group_key" in statement]
    assert read and len(per_group) == 2, "by_group read once for X, once unfiltered"
    assert len([s for s in sent if "GROUP BY anon_1.session_id, author.group_key" in s]) == 1
    assert again["posts"].min() >= 0 and again["posts"].sum() == sum(n for _, _, n in cells) > 0
    assert unfiltered["posts"].sum() >= again["posts"].sum()

    sent.clear()
    with db.reading_together(db_url, 2) as (one, other):
        # One snapshot for both: what one session read, the other reuses.
        assert analytics.by_group(one, f).equals(analytics.by_group(other, f))
    assert len([statement for statement in sent if "GROUP BY author.group_key" in statement]) == 1

    with db.writing(db_url) as session:
        before = analytics.by_group(session, f).set_index("key")
        moved = session.scalar(select(Author.group_key).where(Author.group_key != "osce").limit(1))
        session.execute(update(Author).where(Author.group_key == moved).values(group_key="osce"))
        after = analytics.by_group(session, f).set_index("key")
    assert after.at["osce", "posts"] > before.at["osce", "posts"], "a writer reads its own change"


def test_a_figure_another_thread_is_reading_is_waited_for_not_read_twice(db_url):
    calls: list[int] = []
    started = threading.Event()

    def slow() -> int:
        calls.append(1)
        started.set()
        time.sleep(0.2)  # the other thread asks meanwhile
        return len(calls)

    with db.reading_together(db_url, 2) as (one, other), ThreadPoolExecutor(2) as pool:
        first = pool.submit(analytics.remembered, one, "slow", analytics.ALL, slow)
        started.wait(5)
        second = pool.submit(analytics.remembered, other, "slow", analytics.ALL, slow)
        assert (first.result(), second.result()) == (1, 1)
        assert calls == [1]

        def failing() -> int:
            raise RuntimeError("the database went away")

        with pytest.raises(RuntimeError):
            analytics.remembered(one, "failing", analytics.ALL, failing)
        assert analytics.remembered(other, "failing", analytics.ALL, lambda: 7) == 7, "a failure is not kept"
