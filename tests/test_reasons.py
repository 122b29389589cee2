"""Why each post was collected: decided from the post against the event's hashtags and accounts, stored
with it on both databases, decided again when the event's terms change, and the organiser's own posts
kept out of every "who was heard" figure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engagement.analysis import analytics, live
from engagement.collection.jsonl import import_files
from engagement.collection.store import store_posts
from engagement.report import content
from engagement.rules.reasons import Reasons
from engagement.rules.sync import assign_in_steps, sync_event
from engagement.storage import db
from engagement.storage.models import AgendaSession, Author, Post

pytestmark = pytest.mark.both_databases

ORGANISER = {"id": "100", "username": "OSCE_CTHB", "name": "OSCE Office of the Special Representative"}
PARTICIPANT = {"id": "200", "username": "ngo_voice", "name": "Anti-trafficking NGO", "description": "NGO"}
ANOTHER = {"id": "300", "username": "researcher_b", "name": "B. Researcher", "description": "University"}


def tweet(post_id: int, user: dict, text: str, *, tags=(), mentions=(), reply_to: str | None = None, replied=None):
    body = {
        "id": str(post_id),
        "author_id": user["id"],
        "text": text,
        "created_at": f"2018-04-23T08:{post_id % 60:02d}:00.000Z",
        "lang": "en",
        "edit_history_tweet_ids": [str(post_id)],
        "entities": {
            "hashtags": [{"start": 0, "end": len(t) + 1, "tag": t} for t in tags],
            "mentions": [{"start": 0, "end": len(m) + 1, "username": m, "id": "0"} for m in mentions],
        },
    }
    if reply_to:
        body["in_reply_to_user_id"] = reply_to
        body["referenced_tweets"] = [{"type": "replied_to", "id": str(replied)}]
    return body


def write_page(path: Path, tweets: list[dict], users: list[dict], context: list[dict] = ()) -> Path:
    includes: dict = {"users": users}
    if context:
        includes["tweets"] = list(context)
    page = {"data": tweets, "includes": includes, "meta": {"result_count": len(tweets)}}
    path.write_text(json.dumps(page) + "\n", encoding="utf-8")
    return path


def reasons(url: str) -> dict[str, str | None]:
    with db.reading(url) as session:
        return dict(session.execute(select(Post.platform_id, Post.reason)).all())


EXPECTED = {
    "1": "hashtag",  # a participant with the hashtag
    "2": "mention",  # "@osce_cthb …" without it
    "4": "own",  # the organiser, no hashtag
    "5": "own",  # the organiser, with the hashtag: still the organiser speaking
    "6": "hashtag",  # a reply to the organiser that carries the hashtag
    "7": "other",  # matched none of the event's terms (a file of another query)
    "8": None,  # context: only referenced
    "3": "reply",  # a reply to the organiser, no hashtag
}


def collection(tmp_path: Path) -> list[Path]:
    first = write_page(
        tmp_path / "first.jsonl",
        [
            tweet(1, PARTICIPANT, "#cthb18 a panel worth hearing", tags=["cthb18"]),
            tweet(2, ANOTHER, "@osce_cthb how will the Alliance follow up?", mentions=["osce_cthb"]),
            tweet(4, ORGANISER, "Panel 1 starts now in the Neuer Saal"),
            tweet(5, ORGANISER, "Welcome to #CTHB18", tags=["CTHB18"]),
            tweet(
                6,
                PARTICIPANT,
                "@osce_cthb thanks #cthb18",
                tags=["cthb18"],
                mentions=["osce_cthb"],
                reply_to="100",
                replied=4,
            ),
            tweet(7, ANOTHER, "unrelated words"),
        ],
        [ORGANISER, PARTICIPANT, ANOTHER],
        context=[tweet(8, ANOTHER, "an older post only quoted")],
    )
    # The reply names the organiser by id only; the organiser is not in this page's users.
    second = write_page(
        tmp_path / "second.jsonl",
        [tweet(3, ANOTHER, "@osce_cthb and survivors?", mentions=["osce_cthb"], reply_to="100", replied=4)],
        [ANOTHER],
    )
    return [first, second]


def test_each_post_records_why_it_was_collected(db_url, tmp_path):
    assert import_files(collection(tmp_path), url=db_url, progress=False).rejected == 0
    assert reasons(db_url) == EXPECTED
    # 08:00–08:59 UTC is the opening plenary in Vienna: every reason is attributed to it alike.
    with db.reading(db_url) as session:
        opening = session.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-opening"))
        sessions = dict(session.execute(select(Post.reason, Post.session_id).where(Post.collected)).all())
    assert sessions == dict.fromkeys(["own", "hashtag", "reply", "mention", "other"], opening)
    with db.reading(db_url) as session:
        by_reason = analytics.by_reason(session)
    assert dict(zip(by_reason["reason"], by_reason["posts"], strict=True)) == {
        "own": 2,
        "hashtag": 2,
        "reply": 1,
        "mention": 1,
        "other": 1,
    }
    assert content.collected_as(by_reason) == (
        "Of 7 posts, 2 carried the hashtag, 2 addressed the organiser without it, 2 were the organiser's own, "
        "1 matched no current term."
    )


def test_a_reply_before_the_organiser_is_known_is_decided_again_by_the_event_sync(db_url, tmp_path):
    first, second = collection(tmp_path)
    import_files([second], url=db_url, progress=False)
    # Nothing yet says that user 100 is the organiser: the reply counts as a mention.
    assert reasons(db_url)["3"] == "mention"
    import_files([first], url=db_url, progress=False)
    with db.writing(db_url) as session:
        result = sync_event(session, assign=False)
    assign_in_steps(result, db_url)
    assert result.posts_reasoned == 1
    assert reasons(db_url) == EXPECTED


def test_changed_accounts_decide_every_reason_again(db_url, tmp_path, monkeypatch):
    import_files(collection(tmp_path), url=db_url, progress=False)
    monkeypatch.setenv("EVENT_ACCOUNTS", "someone_else")
    with db.writing(db_url) as session:
        result = sync_event(session)
    # The organiser's posts are now a participant's: one carries the hashtag, one matches nothing;
    # the reply and the mention address an account no longer the event's.
    assert result.posts_reasoned == 4
    assert reasons(db_url) == EXPECTED | {"2": "other", "3": "other", "4": "other", "5": "hashtag"}


def test_the_organiser_is_counted_apart_from_who_was_heard(db_url, tmp_path):
    import_files(collection(tmp_path), url=db_url, progress=False)
    with db.reading(db_url) as session:
        groups = analytics.by_group(session).set_index("key")
        heat = analytics.session_by_group(session)
        everything = analytics.totals(session)
        own_only = analytics.totals(session, analytics.Filters(reasons=("own",)))
        participants = analytics.totals(session, analytics.Filters(reasons=("hashtag", "reply", "mention")))
        report = content.build(session, _event())
    # The directory puts osce_cthb in the OSCE group: none of its posts are counted there.
    assert groups.loc["osce", "posts"] == 0 and groups.loc["osce", "authors"] == 0
    assert groups["posts"].sum() == 5
    assert "OSCE structures" not in set(heat["group"])
    assert (everything["posts"], own_only["posts"], participants["posts"]) == (7, 2, 4)
    # Stakeholder groups heard, on the Analyse pages and live: participants' groups only.
    with db.reading(db_url) as session:
        heard = set(
            session.scalars(
                select(Author.group_key).where(Author.handle != ORGANISER["username"], Author.group_key != "public")
            )
        )
        opening = session.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-opening"))
        live_figures = live.session_figures(session, opening, datetime(2018, 4, 24, tzinfo=UTC))
    assert "osce" not in heard and everything["groups"] == len(heard) == live_figures["groups"]
    gap = report.tables["Voice gap"].set_index("group")
    assert gap.loc["OSCE structures", "posts"] == 0
    assert report.headline["the organiser's own"] == 2
    assert report.headline["addressed the organiser without it"] == 2
    assert "the organiser's own" in report.tables["Methods"].set_index("item").loc["why posts were collected", "value"]


def test_reasons_follow_the_first_rule_that_holds():
    reasons = Reasons(["#cthb18"], ["osce_cthb"], ["100"])
    assert reasons.decide("100", ["cthb18"], None, []) == "own"
    assert reasons.decide("5", ["CTHB18"], "100", ["osce_cthb"]) == "hashtag"
    assert reasons.decide("5", [], "100", ["osce_cthb"]) == "reply"
    assert reasons.decide("5", [], None, ["OSCE_cthb"]) == "mention"
    assert reasons.decide("5", ["other"], "7", ["someone"]) == "other"


def _event():
    from engagement.rules.event import load_event

    return load_event()


def test_networks_are_kept_apart_and_filtered(db_url, tmp_path, monkeypatch):
    """A record of another network with the same id string is another post, by another author; the
    network filter and breakdown count each; an account's network decides its reasons there."""
    from msgspec.structs import replace  # the records are msgspec structs

    from engagement.collection.x.normalise import normalize
    from engagement.rules.attribution import Attributor
    from engagement.rules.classification import Classifier

    monkeypatch.setenv("EVENT_ACCOUNTS", "osce_cthb osce.bsky.social")
    first, _ = collection(tmp_path)
    batch = normalize(json.loads(first.read_text(encoding="utf-8")))
    # The same posts as if on Bluesky: the organiser's account there is osce.bsky.social.
    users = [
        replace(u, platform="bluesky", handle=u.handle.replace("OSCE_CTHB", "osce.bsky.social")) for u in batch.users
    ]
    posts = [
        replace(p, platform="bluesky", mentions=[m.replace("osce_cthb", "osce.bsky.social") for m in p.mentions])
        for p in batch.posts
    ]
    with db.writing(db_url) as session:
        sync_event(session)
        classifier, attributor = Classifier.from_database(session), Attributor.from_database(session)
        store_posts(session, batch.posts + posts, batch.users + users, classifier=classifier, attributor=attributor)
    with db.reading(db_url) as session:
        stored = session.execute(select(Post.platform, Post.platform_id, Post.reason)).all()
        networks = analytics.by_network(session).set_index("network")
        bluesky = analytics.by_reason(session, analytics.Filters(networks=("bluesky",)))
        options = analytics.filter_options(session)
        authors = session.scalar(select(func.count()).select_from(Author))
    assert len(stored) == 14 and authors == 6
    by_network = {(platform, post_id): reason for platform, post_id, reason in stored}
    assert all(by_network[("bluesky", post_id)] == by_network[("x", post_id)] for post_id in EXPECTED if post_id != "3")
    assert networks.loc["x", "posts"] == networks.loc["bluesky", "posts"] == 6
    assert dict(zip(bluesky["reason"], bluesky["posts"], strict=True))["own"] == 2
    assert options["networks"] == ["x", "bluesky"]


def test_full_width_and_case_folded_hashtags_are_the_events():
    from engagement.rules.reasons import Reasons

    reasons = Reasons(["#cthb18", "Straße"], {"x": []})
    for tag in ("ＣＴＨＢ18", "#CTHB18", "＃cthb18", "STRASSE"):
        assert reasons.decide(None, [tag], None, [], "bluesky") == "hashtag", tag
    assert reasons.decide(None, ["cthb19"], None, [], "bluesky") == "other"
