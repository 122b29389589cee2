"""Hydration of posts stored from Jetstream, through getPosts and getProfiles on tests/bskysim.py.

Counts, handles, bios and the group they give; the hidden label; posts and authors the AppView no
longer has, asked for a bounded number of times; the stream's one-attempt call; and the 9 recorded
Jetstream records, hydrated, stored as their 9 recorded PostViews are.
"""

import copy
import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from engagement.collection.bluesky.hydrate import MAX_MISSES, hydrate_new, hydrate_pass
from engagement.collection.bluesky.normalise import normalise_author, normalise_jetstream, normalise_post_view
from engagement.collection.bluesky.xrpc import NeverStop, Policy
from engagement.collection.store import store_posts
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.event import load_event
from engagement.rules.reasons import Reasons
from engagement.rules.sync import sync_event
from engagement.storage import db
from engagement.storage.models import Author, Post
from engagement.timeutil import to_utc

from .bskysim import DATA, GET_POSTS, GET_PROFILES, BlueskySimulator, generate_views, profile_from, recorded_views
from .helpers.worker import ingest

pytestmark = pytest.mark.both_databases

QUICK = Policy(attempts=3, base=0.01, cap=0.02)
BIO = "Programme officer at UNODC in Vienna"


def jetstream_of(view: dict, time_us: int) -> dict:
    """The Jetstream v1 commit that created ``view``'s post: its record, no counts, no profile."""
    did, rkey = view["author"]["did"], view["uri"].rsplit("/", 1)[1]
    commit = {"rev": "3mmoojpbi5e2i", "operation": "create", "collection": "app.bsky.feed.post", "rkey": rkey}
    return {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {**commit, "record": copy.deepcopy(view["record"]), "cid": view["cid"]},
    }


def store(url, records, users=()):
    with db.writing(url) as session:
        event = load_event()
        store_posts(
            session,
            records,
            list(users),
            classifier=Classifier.from_database(session),
            attributor=Attributor.from_database(session, event.grace),
            reasons=Reasons.from_database(session, event),
        )


def store_stream(url, events):
    """As bsky-stream's batch commit stores kept posts (bare records: no counts, no profile)."""
    records = []
    for event in events:
        result = normalise_jetstream(event)
        assert not result.batch.rejected
        records.extend(result.batch.posts)
    store(url, records)
    return [r.platform_id for r in records]


def store_views(url, views):
    """As bsky-search and the import store PostViews."""
    store(url, [normalise_post_view(v) for v in views], [normalise_author(v["author"]) for v in views])


def visible(url, uris):
    """Every column a page or export could show of these posts and their authors."""
    with db.reading(url) as session:
        found = session.exec(
            select(Post, Author).outerjoin(Author, Author.id == Post.author_id).where(Post.platform_id.in_(uris))
        ).all()
        out = {}
        for post, author in found:
            row = post.model_dump(exclude={"id", "author_id", "raw", "metrics_at", "first_seen", "last_updated"})
            row["created_at"] = to_utc(row["created_at"])
            row.pop("hydrated_at")
            row["author"] = author.model_dump(exclude={"id", "first_seen", "last_updated"}) if author else None
            out[post.platform_id] = row
    db.dispose_engines()
    return out


def post_state(url, uri):
    with db.reading(url) as session:
        return session.exec(select(Post).where(Post.platform_id == uri)).one()


def author_of(url, did):
    with db.reading(url) as session:
        return session.exec(select(Author).where(Author.platform_user_id == did)).one()


def asked_for(sim, method, key, value) -> int:
    return sum(value in params.get(key, []) for params in sim.calls(method))


@pytest.fixture
def generated():
    views, profiles = generate_views(40, seed=5, tag="cthb18")
    for profile in profiles:
        profile["description"] = BIO
    return views, profiles


@pytest.fixture
def sim(generated):
    with BlueskySimulator() as simulator:
        simulator.add_posts(generated[0])
        simulator.add_profiles(generated[1])
        yield simulator


def test_the_recorded_jetstream_records_hydrated_give_the_rows_their_views_give(db_url, tmp_path):
    events = json.loads((DATA / "twitwi_bluesky-firehose-posts.json").read_text(encoding="utf-8"))
    views = recorded_views()
    assert len(events) == len(views) == 9
    profiles = [profile_from(v["author"], description=f"bio of {v['author']['handle']}") for v in views]
    with BlueskySimulator() as sim:
        sim.add_posts(views)
        sim.add_profiles(profiles)
        uris = store_stream(db_url, events)
        assert sorted(uris) == sorted(v["uri"] for v in views)
        before = visible(db_url, uris)
        assert {row["author"]["handle"] for row in before.values()} == {None}  # DIDs only, as Jetstream gives
        counts = hydrate_new(db_url, sim.base_url, uris, NeverStop())
        assert counts.posts_hydrated == 9 and counts.failed_calls == 0 and counts.profiles_hydrated >= 1

        reference = f"sqlite:///{tmp_path / 'views.db'}"
        with db.writing(reference) as session:
            sync_event(session)
        store_views(reference, views)
        hydrate_pass(reference, sim.base_url, NeverStop(), QUICK)  # the bios, as for the stream's authors
    hydrated = visible(db_url, uris)
    assert hydrated == visible(reference, uris) != before  # the hydration is what made them equal
    assert {row["author"]["bio"] for row in hydrated.values()} == {p["description"] for p in profiles}


def test_a_pass_fills_counts_handles_bios_and_the_group_they_give(db_url, sim, generated):
    views, _ = generated
    uris = store_stream(db_url, [jetstream_of(v, 1_779_700_000_000_000 + i) for i, v in enumerate(views)])
    view = views[7]
    stored = post_state(db_url, view["uri"])
    assert stored.hydrated_at is None and stored.likes == 0 and view["likeCount"] + view["repostCount"] > 0
    result = hydrate_pass(db_url, sim.base_url, NeverStop(), QUICK)
    assert result.complete and result.posts_hydrated == len(uris) and result.posts_missing == 0
    hydrated = post_state(db_url, view["uri"])
    assert (hydrated.likes, hydrated.retweets, hydrated.replies, hydrated.quotes) == (
        view["likeCount"],
        view["repostCount"],
        view["replyCount"],
        view["quoteCount"],
    )
    assert hydrated.hydrated_at is not None and hydrated.reason == "hashtag"
    author = author_of(db_url, view["author"]["did"])
    assert author.handle == view["author"]["handle"] and author.display_name == view["author"]["displayName"]
    assert author.bio == BIO and author.group_key == "intl_org" and author.followers is not None
    # getPosts 25 at a time; getProfiles once for the authors the posts named.
    assert [len(p["uris"]) for p in sim.calls(GET_POSTS)] == [25, 15]
    assert sum(len(p["actors"]) for p in sim.calls(GET_PROFILES)) == 7
    # A second pass has nothing to ask for.
    again = hydrate_pass(db_url, sim.base_url, NeverStop(), QUICK)
    assert again.posts_asked == 0 and again.profiles_asked == 0 and len(sim.calls(GET_POSTS)) == 2


def test_a_later_search_page_keeps_the_bios_hydration_read(db_url, sim, generated):
    views, _ = generated
    store_stream(db_url, [jetstream_of(v, 1_779_700_000_000_000 + i) for i, v in enumerate(views[:3])])
    hydrate_pass(db_url, sim.base_url, NeverStop(), QUICK)
    from engagement.collection.bluesky import search

    result = search.SearchResult()
    search.store_page({"posts": views[:3]}, url=db_url, where="test", seen=set(), states={}, result=result)
    author = author_of(db_url, views[0]["author"]["did"])
    assert author.bio == BIO and author.group_key == "intl_org"


def test_the_hidden_label_is_kept(db_url, sim, generated):
    views, _ = generated
    labelled = copy.deepcopy(views[0])
    labelled["labels"] = [{"src": labelled["author"]["did"], "uri": labelled["uri"], "val": "!no-unauthenticated"}]
    sim.add_posts([labelled])
    store_stream(db_url, [jetstream_of(labelled, 1_779_700_000_000_000), jetstream_of(views[1], 1_779_700_000_000_001)])
    assert not post_state(db_url, labelled["uri"]).hidden
    hydrate_pass(db_url, sim.base_url, NeverStop(), QUICK)
    assert post_state(db_url, labelled["uri"]).hidden and not post_state(db_url, views[1]["uri"]).hidden


def test_posts_and_authors_the_appview_lacks_are_not_asked_for_forever(db_url, sim, generated):
    views, _ = generated
    gone, _ = generate_views(1, seed=99, tag="cthb18", start=datetime(2026, 5, 25, 9, tzinfo=UTC))
    uris = store_stream(db_url, [jetstream_of(v, 1_779_700_000_000_000 + i) for i, v in enumerate([*views[:2], *gone])])
    gone_uri, gone_did = gone[0]["uri"], gone[0]["author"]["did"]
    for _ in range(MAX_MISSES + 2):
        hydrate_pass(db_url, sim.base_url, NeverStop(), QUICK)
    assert asked_for(sim, GET_POSTS, "uris", gone_uri) == MAX_MISSES
    assert asked_for(sim, GET_PROFILES, "actors", gone_did) == MAX_MISSES
    assert post_state(db_url, gone_uri).hydrated_at is not None and post_state(db_url, gone_uri).likes == 0
    assert all(asked_for(sim, GET_POSTS, "uris", uri) == 1 for uri in uris if uri != gone_uri)
    # hydrate_new does not ask again for what was given up.
    hydrate_new(db_url, sim.base_url, [gone_uri], NeverStop())
    assert asked_for(sim, GET_POSTS, "uris", gone_uri) == MAX_MISSES


def test_the_streams_hydration_makes_one_attempt_and_never_raises(db_url, sim, generated):
    views, _ = generated
    uris = store_stream(db_url, [jetstream_of(v, 1_779_700_000_000_000 + i) for i, v in enumerate(views[:5])])
    sim.fail("502", method=GET_POSTS)
    failed = hydrate_new(db_url, sim.base_url, uris, NeverStop())
    assert failed.failed_calls == 1 and failed.posts_hydrated == 0 and len(sim.calls(GET_POSTS)) == 1
    assert post_state(db_url, uris[0]).hydrated_at is None  # left for the next pass
    sim.fail("429", method=GET_POSTS, reset_in=600)
    limited = hydrate_new(db_url, sim.base_url, uris, NeverStop())  # a rate limit is not waited for
    assert limited.failed_calls == 1 and len(sim.calls(GET_POSTS)) == 2
    done = hydrate_new(db_url, sim.base_url, uris, NeverStop())
    assert done.posts_hydrated == 5 and done.failed_calls == 0
    assert all(post_state(db_url, uri).hydrated_at is not None for uri in uris)
    nowhere = hydrate_new(db_url, "http://127.0.0.1:9", uris + ["at://did:plc:x/app.bsky.feed.post/1"], NeverStop())
    assert nowhere.failed_calls == 0 and nowhere.posts_asked == 0  # nothing left to ask: no call made


def test_the_streams_hydration_survives_an_appview_that_is_down(db_url, generated):
    views, _ = generated
    uris = store_stream(db_url, [jetstream_of(v, 1_779_700_000_000_000 + i) for i, v in enumerate(views[:3])])
    result = hydrate_new(db_url, "http://127.0.0.1:9", uris, NeverStop())  # nothing listens on port 9
    assert result.failed_calls >= 1 and post_state(db_url, uris[0]).hydrated_at is None


def test_the_command_hydrates_and_refuses_when_hydration_is_off(db_url, sim, generated):
    views, _ = generated
    store_stream(db_url, [jetstream_of(v, 1_779_700_000_000_000 + i) for i, v in enumerate(views[:4])])
    off = ingest("bsky-hydrate", url=db_url, BLUESKY_APPVIEW_URL="off")
    assert off.returncode == 2 and "BLUESKY_APPVIEW_URL" in off.stderr
    done = ingest("bsky-hydrate", url=db_url, BLUESKY_APPVIEW_URL=sim.base_url)
    assert done.returncode == 0, done.stderr
    assert "posts hydrated" in done.stdout and post_state(db_url, views[0]["uri"]).likes == views[0]["likeCount"]


def test_posts_stored_from_their_views_are_not_asked_for_but_their_authors_are(db_url, sim, generated):
    views, _ = generated
    store_views(db_url, views[:4])
    result = hydrate_pass(db_url, sim.base_url, NeverStop(), QUICK)
    assert result.posts_asked == 0 and sim.calls(GET_POSTS) == []
    assert author_of(db_url, views[0]["author"]["did"]).bio == BIO
