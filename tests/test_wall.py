"""The social wall's core (engagement.wall) on SQLite and PostgreSQL: what each moderation state
shows, in both modes; what never shows (held, pulled, hidden, deleted, blocked, reposts, later than
"now"); the blocklist; every action audited; bulk actions; announcements and "now / next"."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engagement.collection.store import forget_posts
from engagement.qa.blocklist import LINK
from engagement.qa.blocklist import load as load_blocklist
from engagement.qa.states import IllegalTransition
from engagement.storage import db, flags
from engagement.storage.models import AgendaSession, Author, Post, WallAction
from engagement.wall import listing, moderation
from engagement.wall.listing import Scope

pytestmark = pytest.mark.both_databases
NOW = datetime(2018, 4, 23, 9, 30, tzinfo=UTC)  # 11:30 in Vienna: Panel 1 in Neuer Saal
BLOCKLIST = load_blocklist()
ROOT = Path(__file__).resolve().parent.parent


def _posts(url: str, texts: dict[str, dict]) -> dict[str, int]:
    """Posts by two authors in Panel 1 (and one in the side event), a minute apart before NOW, by name."""
    with db.writing(url) as session:
        panel = session.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-panel-1"))
        side = session.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-side-survivors"))
        authors = {}
        for n, handle in enumerate(("ana_gov", "ben_ngo")):
            author = Author(
                platform="x",
                platform_user_id=str(900 + n),
                handle=handle,
                display_name=handle.title(),
                group_key="government",
            )
            session.add(author)
            session.flush()
            authors[handle] = author.id
        ids = {}
        for n, (name, options) in enumerate(texts.items()):
            options = dict(options)
            post = Post(
                platform=options.pop("platform", "x"),
                platform_id=f"p{n}",
                current_id=f"p{n}",
                author_id=authors[options.pop("author", "ana_gov")],
                created_at=options.pop("at", NOW - timedelta(minutes=len(texts) - n)),
                text=options.pop("text", f"{name} #cthb18"),
                session_id=side if options.pop("side", False) else panel,
                reason="hashtag",
                **options,
            )
            session.add(post)
            session.flush()
            ids[name] = post.id
    return ids


def _wall(url: str, scope: Scope | None = None, now: datetime = NOW, mode: str | None = None) -> list[str]:
    with db.reading(url) as session:
        return [
            item.text.split(" #")[0]
            for item in listing.wall(session, scope or Scope(), now, BLOCKLIST, mode=mode, limit=50)
        ]


def _act(url: str, post_id: int, action: str, actor: str = "Ana") -> str:
    with db.writing(url) as session:
        return moderation.act(session, post_id, action, actor)


def test_pre_moderated_shows_only_approved_posts_latest_approved_first(db_url):
    ids = _posts(db_url, {"one": {}, "two": {}, "three": {}})
    assert _wall(db_url) == []
    _act(db_url, ids["two"], "approve")
    _act(db_url, ids["one"], "approve")
    assert _wall(db_url) == ["one", "two"]
    _act(db_url, ids["one"], "pull")
    assert _wall(db_url) == ["two"]
    _act(db_url, ids["one"], "restore")
    assert _wall(db_url) == ["two"]
    with db.reading(db_url) as session:
        assert listing.counts(session, NOW) == {"incoming": 2, "approved": 1, "pulled": 0}
        assert listing.counts(session, NOW, Scope(session_key="d1-panel-2"))["incoming"] == 0


def test_incoming_posts_are_counted_up_to_a_cap(db_url, monkeypatch):
    _posts(db_url, {"one": {}, "two": {}, "three": {}})
    monkeypatch.setattr(listing, "COUNT_CAP", 2)
    with db.reading(db_url) as session:
        assert listing.counts(session, NOW)["incoming"] == 2


def test_post_moderated_shows_posts_after_the_delay_unless_held_or_pulled(db_url):
    ids = _posts(
        db_url,
        {
            "old": {"at": NOW - timedelta(minutes=5)},
            "rude": {"at": NOW - timedelta(minutes=4), "text": "what an idiot"},
            "warned": {"at": NOW - timedelta(minutes=3), "content_warning": "spoilers"},
            "fresh": {"at": NOW - timedelta(seconds=10)},
            "future": {"at": NOW + timedelta(minutes=1)},
        },
    )
    with db.writing(db_url) as session:
        moderation.configure(session, "Ana", new_mode="post", delay=60)
    # rude is held by the blocklist, warned by its content warning; fresh is within the delay
    assert _wall(db_url) == ["old"]
    _act(db_url, ids["rude"], "approve")  # a moderator lets a held post through
    _act(db_url, ids["fresh"], "approve")  # and an approval does not wait for the delay
    _act(db_url, ids["old"], "pull")
    assert _wall(db_url) == ["fresh", "what an idiot"]
    with db.writing(db_url) as session:
        moderation.configure(session, "Ana", delay=0)
    assert _wall(db_url) == ["fresh", "what an idiot"]  # and a pulled one stays pulled
    _act(db_url, ids["old"], "restore")
    assert _wall(db_url) == ["fresh", "what an idiot", "old"]
    assert _wall(db_url, mode="pre") == ["fresh", "what an idiot"]


def test_never_hidden_deleted_blocked_reposts_or_context(db_url):
    ids = _posts(
        db_url,
        {
            "shown": {},
            "hidden": {"hidden": True},
            "deleted": {},
            "repost": {"kind": "retweet"},
            "context": {"collected": False},
            "blocked": {"author": "ben_ngo"},
            "blocked later": {"author": "ben_ngo"},
        },
    )
    for name in ("shown", "deleted", "repost", "blocked"):
        _act(db_url, ids[name], "approve")
    for name in ("hidden", "context"):
        with pytest.raises(IllegalTransition):
            _act(db_url, ids[name], "approve")
    with db.writing(db_url) as session:
        author = session.scalar(select(Author.id).where(Author.handle == "ben_ngo"))
        moderation.block_author(session, author, "Ana", "spam")
        assert forget_posts(session, [("x", f"p{list(ids).index('deleted')}")]) == 1  # its author deleted it
    for mode in ("pre", "post"):
        assert _wall(db_url, mode=mode) == ["shown"], mode
    with pytest.raises(IllegalTransition, match="blocked"):
        _act(db_url, ids["blocked later"], "approve")
    with pytest.raises(IllegalTransition, match="no longer exists"):
        _act(db_url, ids["deleted"], "pull")
    with db.writing(db_url) as session:
        moderation.unblock_author(session, author, "Ana")
    assert _wall(db_url) == ["blocked", "shown"]  # approved before the block, back after it
    with db.reading(db_url) as session:  # the queue never offers a hidden post
        assert "hidden #cthb18" not in [item.text for item in listing.queue(session, NOW, BLOCKLIST)]


def test_a_wall_item_carries_nothing_but_what_a_wall_shows():
    assert {f.name for f in fields(listing.WallItem)} == {
        "post_id", "network", "name", "handle", "group_label", "group_colour", "text", "content_warning", "images",
        "created_at",
    }  # fmt: skip


def test_illegal_moves_are_refused_and_every_action_is_audited(db_url):
    ids = _posts(db_url, {"one": {}, "two": {}})
    _act(db_url, ids["one"], "approve", "Ana")
    with pytest.raises(IllegalTransition, match="cannot approve a post that is approved"):
        _act(db_url, ids["one"], "approve", "Ben")
    with pytest.raises(IllegalTransition, match="cannot restore a post that is pending"):
        _act(db_url, ids["two"], "restore")
    with pytest.raises(ValueError, match="moderator's name"):
        _act(db_url, ids["two"], "pull", " ")
    _act(db_url, ids["one"], "pull", "Ben")
    with db.writing(db_url) as session:
        announcement = moderation.announce(session, "Coffee in the foyer", "Cleo", room="Neuer Saal")
        moderation.withdraw(session, announcement.id, "Cleo")
        moderation.configure(session, "Cleo", new_mode="post", delay=30)
        author = session.get(Post, ids["two"]).author_id
        moderation.block_author(session, author, "Dan", "spam")
        moderation.unblock_author(session, author, "Dan")
    with db.reading(db_url) as session:
        log = listing.audit_log(session)
        entries = session.scalars(select(WallAction).order_by(WallAction.id)).all()
    assert [(e.actor, e.action, e.before, e.after) for e in entries] == [
        ("Ana", "approve", {"status": "pending"}, {"status": "approved"}),
        ("Ben", "pull", {"status": "approved"}, {"status": "pulled"}),
        ("Cleo", "announce", {}, {"text": "Coffee in the foyer", "room": "Neuer Saal"}),
        ("Cleo", "withdraw", {"text": "Coffee in the foyer", "room": "Neuer Saal"}, {}),
        ("Cleo", "configure", {"mode": "pre", "delay": 60}, {"mode": "post", "delay": 30}),
        ("Dan", "block_author", {"blocked": False}, {"blocked": True}),
        ("Dan", "unblock_author", {"blocked": True}, {"blocked": False}),
    ]
    assert entries[0].post_id == ids["one"] and entries[0].at is not None
    assert entries[5].author_id == author and entries[5].reason == "spam"
    assert list(log["moderator"]) == ["Dan", "Dan", "Cleo", "Cleo", "Cleo", "Ben", "Ana"]


def test_bulk_actions_do_each_post_on_its_own_terms(db_url):
    ids = _posts(db_url, {"one": {}, "two": {}, "three": {}})
    _act(db_url, ids["two"], "approve")
    with db.writing(db_url) as session:
        done, refused = moderation.act_many(session, [ids["one"], ids["two"], ids["three"]], "approve", "Ana")
    assert done == [ids["one"], ids["three"]]
    assert [post for post, _ in refused] == [ids["two"]]
    assert _wall(db_url) == ["three", "one", "two"]


def test_scopes_keep_a_wall_to_its_room_or_session(db_url):
    ids = _posts(db_url, {"panel": {}, "side": {"side": True}})
    for post_id in ids.values():
        _act(db_url, post_id, "approve")
    assert set(_wall(db_url)) == {"panel", "side"}
    assert _wall(db_url, Scope(session_key="d1-panel-1")) == ["panel"]
    assert _wall(db_url, Scope(room="Side room")) == ["side"]
    assert _wall(db_url, Scope(room="No such room")) == []


def test_announcements_and_now_next_follow_the_walls_room(db_url):
    with db.writing(db_url) as session:
        moderation.announce(session, "Everywhere", "Ana")
        moderation.announce(session, "Only the side room", "Ana", room="Side room")
        with pytest.raises(ValueError, match="some text"):
            moderation.announce(session, "   ", "Ana")
    with db.reading(db_url) as session:
        assert listing.announcements(session) == ["Everywhere"]
        assert listing.announcements(session, Scope(room="Side room")) == ["Everywhere", "Only the side room"]
        assert listing.announcements(session, Scope(session_key="d1-side-survivors"))[-1] == "Only the side room"
        current, upcoming = listing.now_and_next(session, NOW, Scope(room="Neuer Saal"))
        assert current.title.startswith("Panel 1") and upcoming.title.startswith("Panel 2")
        # Its titles in the agenda's other languages too (title_fr…), for a wall's ?lang=.
        assert current.titles["fr"].startswith("Table ronde 1") and upcoming.titles["ru"]
        current, upcoming = listing.now_and_next(session, NOW, Scope(room="Side room"))
        assert current is None and upcoming.title.startswith("Side event")


def test_a_groups_colour_reaches_a_style_only_as_a_colour():
    assert listing.safe_colour("#0072B2") == "#0072B2"
    for hostile in ("red; background:url(http://x)", "#12345g", "", None, "#0072B2;"):
        assert listing.safe_colour(hostile) is None


def test_the_delay_and_mode_are_checked(db_url):
    with db.writing(db_url) as session:
        with pytest.raises(ValueError):
            moderation.configure(session, "Ana", new_mode="sometimes")
        with pytest.raises(ValueError):
            moderation.configure(session, "Ana", delay=-1)
        assert (
            moderation.mode(session) == "pre" and moderation.delay_seconds(session) == moderation.DEFAULT_DELAY_SECONDS
        )
        flags.put(session, moderation.MODE, "bogus")
        assert moderation.mode(session) == "pre"


def test_the_join_link_is_the_ask_page_of_the_session_on_the_public_host(monkeypatch):
    from engagement import settings
    from engagement.ui import hall

    monkeypatch.delenv("PUBLIC_URL", raising=False)
    assert settings.public_url() is None
    monkeypatch.setenv("PUBLIC_URL", "ask.example.org/")
    assert settings.public_url() == "https://ask.example.org"
    assert hall.ask_url("d1-panel-1") == "https://ask.example.org/ask?session=d1-panel-1"
    assert hall.ask_url("d1 panel&1", "fr") == "https://ask.example.org/ask?session=d1+panel%261&lang=fr"
    assert hall.ask_url(None) == "https://ask.example.org/ask"
    assert hall.short_url(hall.ask_url("d1-panel-1")) == "ask.example.org/ask?session=d1-panel-1"
    assert hall.qr_data_uri("https://ask.example.org/ask").startswith("data:image/svg+xml")


def test_a_rotating_wall_pages_through_its_posts():
    from engagement.ui import hall

    items = list(range(10))
    assert hall.rotation(items, 4, 0) == [0, 1, 2, 3]
    assert hall.rotation(items, 4, 1) == [4, 5, 6, 7]
    assert hall.rotation(items, 4, 2) == [8, 9]
    assert hall.rotation(items, 4, 3) == [0, 1, 2, 3]
    assert hall.rotation(items[:3], 4, 7) == [0, 1, 2]


def test_the_projector_lists_the_top_approved_questions_by_votes(db_url):
    from engagement.qa.projector import top_questions
    from engagement.storage.models import Question

    with db.writing(db_url) as session:
        panel = session.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-panel-1"))
        other = session.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-panel-2"))
        rows = [
            ("few", "approved", 1, panel, False),
            ("most", "on_screen", 9, panel, False),
            ("pending", "pending", 50, panel, False),
            ("dismissed", "dismissed", 40, panel, False),
            ("forgotten", "approved", 30, panel, True),
            ("elsewhere", "approved", 20, other, False),
            ("some", "approved", 5, panel, False),
        ]
        for text, status, votes, session_id, forgotten in rows:
            session.add(Question(session_id=session_id, text=text, status=status, votes=votes, forgotten=forgotten))
    with db.reading(db_url) as session:
        assert [q.text for q in top_questions(session, panel)] == ["most", "some", "few"]
        assert [q.text for q in top_questions(session, panel, limit=1)] == ["most"]


def test_moderators_racing_on_one_post_decide_it_once(db_url):
    import threading

    ids = _posts(db_url, {"contested": {}})
    outcomes = []

    def moderator(name: str, action: str) -> None:
        try:
            _act(db_url, ids["contested"], action, name)
            outcomes.append((name, action))
        except IllegalTransition:
            outcomes.append((name, "refused"))

    def race(actions: list[str]) -> None:
        threads = [threading.Thread(target=moderator, args=(f"m{n}", a)) for n, a in enumerate(actions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    race(["approve"] * 8)  # eight moderators approve at once: one does, seven are told it is approved
    assert len([o for o in outcomes if o[1] == "approve"]) == 1 and len(outcomes) == 8
    race(["pull", "restore"] * 4)  # mixed moves: each starts where the one before it left the post
    decided = [(name, action) for name, action in outcomes if action != "refused"]
    with db.reading(db_url) as session:
        entries = session.scalars(select(WallAction).order_by(WallAction.id)).all()
        final = moderation.status(session, ids["contested"])
    assert sorted((e.actor, e.action) for e in entries) == sorted(decided)  # each success audited once
    assert entries[0].before == {"status": "pending"} and entries[-1].after == {"status": final}
    for earlier, later in zip(entries, entries[1:], strict=False):
        assert later.before == earlier.after


def test_a_link_alone_does_not_hold_a_post_but_the_blocklist_does(db_url):
    """Links are not abuse: a quarter of the recorded X sample carries one (25 of brexit.jsonl's 100),
    and a post-moderated wall that held them all would show a quarter fewer posts for no reason. The
    blocklist's terms still hold a post, inside a link too; and the Q&A still flags a question's link."""
    linked = []
    for line in (ROOT / "tests" / "data" / "x-api-v2" / "brexit.jsonl").read_text(encoding="utf-8").splitlines():
        for tweet in json.loads(line).get("data", []):
            if LINK.search(tweet["text"]) and BLOCKLIST.check(tweet["text"], links=False) is None:
                linked.append(tweet["text"])
    assert len(linked) >= 3
    texts = {f"real {n}": {"text": text} for n, text in enumerate(linked[:3])}
    texts["rude link"] = {"text": "look at this https://example.org/what-an-idiot"}
    texts["rude"] = {"text": "what an idiot, see www.example.org"}
    ids = _posts(db_url, texts)
    with db.writing(db_url) as session:
        moderation.configure(session, "Ana", new_mode="post", delay=0)
    with db.reading(db_url) as session:
        shown = [item.text for item in listing.wall(session, Scope(), NOW, BLOCKLIST, limit=50)]
        queue = {item.post_id: item.held for item in listing.queue(session, NOW, BLOCKLIST)}
    assert sorted(shown) == sorted(linked[:3])
    assert [queue[ids[f"real {n}"]] for n in range(3)] == [None, None, None]
    assert "idiot" in queue[ids["rude link"]] and "idiot" in queue[ids["rude"]]
    assert "link" not in queue[ids["rude"]]
    assert BLOCKLIST.check(linked[0]) == "contains a link"  # a question's link is still flagged


def test_the_high_contrast_theme_is_asked_for_as_people_write_it():
    from engagement.ui import hall

    assert all(hall.high_contrast(value) for value in ("high", "1", "true", "YES", " high "))
    assert not any(hall.high_contrast(value) for value in (None, "", "0", "low", "no", "false"))
