"""Replay: a collection fed in simulated time, with the clock kept in the database."""

from datetime import datetime, timedelta, timezone

import orjson
from sqlalchemy import func
from sqlmodel import select

from engagement.collection.replay import load_messages, replay
from engagement.storage import db, flags
from engagement.storage.models import Post

from .helpers import real_data


def test_replay_stores_posts_as_the_simulated_clock_passes_them(db_url, demo_files):
    messages = load_messages(demo_files[0])
    assert len(messages) == 3000
    assert [m.created_at for m in messages] == sorted(m.created_at for m in messages)
    start = datetime(2018, 4, 23, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    seen = []

    def fake_sleep(_seconds):
        # Look at the database between ticks, as the app would.
        with db.reading(db_url) as session:
            seen.append(
                (
                    flags.now(session),
                    session.scalar(select(func.count()).select_from(Post).where(Post.collected.is_(True))),
                )
            )

    ticks = {"n": 0}

    def stop_after_five_ticks():
        ticks["n"] += 1
        return ticks["n"] > 5

    counts = replay(
        demo_files[0],
        speed=600,
        start=start,
        url=db_url,
        tick=0.01,
        should_stop=stop_after_five_ticks,
        sleep=fake_sleep,
    )

    before_start = sum(1 for m in messages if m.created_at <= start)
    assert seen[0] == (start, before_start)
    clocks = [clock for clock, _ in seen]
    totals = [total for _, total in seen]
    assert clocks == sorted(clocks) and totals == sorted(totals)
    assert len(set(totals)) > 1, "posts arrived while the clock ran"
    with db.reading(db_url) as session:
        stored = session.scalar(select(func.count()).select_from(Post).where(Post.collected.is_(True)))
        newest = session.scalar(select(func.max(Post.created_at)).where(Post.collected.is_(True)))
        clock = flags.now(session)
        assert flags.is_demo(session)
    assert counts.posts_new == stored < 3000
    assert newest <= clock and clock > start


def test_a_replay_to_the_end_stores_everything_once(db_url, demo_files):
    counts = replay(demo_files[0], speed=1e9, url=db_url, tick=0, sleep=lambda _s: None)
    assert counts.posts_new == 3000 and counts.duplicates == 0


def test_questions_arrive_on_the_same_clock(db_url, demo_files):
    import csv

    from engagement.storage.models import Question

    start = datetime(2018, 4, 23, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    rows = list(csv.DictReader(demo_files[1].open(encoding="utf-8")))
    due = sum(1 for r in rows if datetime.fromisoformat(r["created_at"]) <= start)
    assert 0 < due < len(rows)
    counts = []

    def look(_seconds):
        with db.reading(db_url) as session:
            counts.append(session.scalar(select(func.count()).select_from(Question)))

    ticks = iter(range(3))
    replay(
        demo_files[0],
        questions=demo_files[1],
        speed=1,
        start=start,
        url=db_url,
        tick=0,
        should_stop=lambda: next(ticks, None) is None,
        sleep=look,
    )
    assert counts[0] == due
    # To the end: every question, once.
    replay(demo_files[0], questions=demo_files[1], speed=1e9, url=db_url, tick=0, sleep=lambda _s: None)
    with db.reading(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Question)) == len(rows) == 200


def test_a_line_of_valid_json_that_is_no_page_is_skipped(tmp_path, demo_files):
    """A list or a number is JSON but no page of posts: skipped like an invalid line, not a crash."""
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"[1, 2]\n42\n" + demo_files[0].read_bytes())
    assert len(load_messages(path)) == len(load_messages(demo_files[0]))


def test_bluesky_lines_replay_as_their_own_posts(db_url, tmp_path):
    """A Bluesky page splits into one message per view, a Jetstream event is one message: the replay
    stores them on their own clock, the same rows as the import."""
    views = orjson.loads(real_data("twitwi_bluesky-hydrated-firehose-posts.json", "bluesky").read_bytes())
    events = real_data("jetstream_v1_golden.jsonl", "bluesky").read_bytes()
    path = tmp_path / "bluesky.jsonl"
    path.write_bytes(orjson.dumps({"posts": views}) + b"\n" + events)
    assert len(load_messages(path)) == len(views) + len(events.splitlines()) == 9 + 10
    counts = replay(path, speed=1e9, url=db_url, tick=0, sleep=lambda _s: None)
    with db.reading(db_url) as session:
        kinds = dict(
            session.execute(
                select(Post.kind, func.count()).where(Post.platform == "bluesky", Post.collected).group_by(Post.kind)
            ).all()
        )
    # The nine views (originals and replies) and the golden reply and repost.
    assert counts.posts_new == sum(kinds.values()) == 9 + 2
    assert kinds.get("retweet") == 1
