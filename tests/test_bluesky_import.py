"""Real Bluesky files through the one importer (``ingest import``), on both databases: every post
stored or rejected with its reason, a Jetstream record and its hydrated PostView one row, the
reasons of collection decided by the event's Bluesky account and hashtag."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engagement.collection.jsonl import import_files
from engagement.rules.sync import sync_event
from engagement.storage import db
from engagement.storage.models import Author, Post, PostEntity, RejectedRecord

from .helpers import real_data

pytestmark = pytest.mark.both_databases

CONTENT = ("platform_id", "created_at", "text", "language", "kind", "referenced_platform_id", "in_reply_to_user_id")


def _rows(url: str, platform_ids) -> dict[str, tuple]:
    with db.reading(url) as session:
        rows = session.execute(
            select(*(getattr(Post, c) for c in CONTENT), Post.hashtags, Post.mentions, Post.urls, Post.media_count)
            .where(Post.platform_id.in_(list(platform_ids)))
            .order_by(Post.platform_id)
        ).all()
    return {row[0]: tuple(row) for row in rows}


def test_every_appview_item_is_stored_or_rejected_with_a_reason(db_url):
    path = real_data("twitwi_bluesky-posts.json", "bluesky")
    items = json.loads(path.read_text(encoding="utf-8"))
    summary = import_files([path], url=db_url, progress=False)
    with db.reading(db_url) as session:
        rejected = session.execute(select(RejectedRecord.location, RejectedRecord.reason)).all()
        stored = set(session.scalars(select(Post.platform_id).where(Post.collected.is_(True))))
        platforms = set(session.scalars(select(Post.platform).distinct()))
        authors = set(session.scalars(select(Author.platform).distinct()))
    # An item is a PostView, a {uri, post} wrapper or a FeedViewPost {post, …}: its post's URI.
    uris = {item.get("uri") or item["post"]["uri"] for item in items}
    rejected_at = {int(location.rsplit(":", 1)[1]) for location, _ in rejected}
    rejected_uris = {(items[n - 1].get("uri") or items[n - 1]["post"]["uri"]) for n in rejected_at}
    assert summary.lines == len(items) == 123
    assert stored | rejected_uris == uris and not stored & rejected_uris
    assert all(reason for _, reason in rejected) and summary.rejected == len(rejected) == 1
    assert platforms == authors == {"bluesky"}


def test_a_jetstream_record_and_its_postview_give_one_row(db_url):
    firehose = real_data("twitwi_bluesky-firehose-posts.json", "bluesky")
    hydrated = real_data("twitwi_bluesky-hydrated-firehose-posts.json", "bluesky")
    assert import_files([firehose], url=db_url, progress=False).store.posts_new == 9
    uris = {
        f"at://{e['did']}/{e['commit']['collection']}/{e['commit']['rkey']}"
        for e in json.loads(firehose.read_text(encoding="utf-8"))
    }
    from_records = _rows(db_url, uris)
    second = import_files([hydrated], url=db_url, progress=False)
    assert second.store.posts_new == 0 and second.rejected == 0
    assert _rows(db_url, uris) == from_records and len(from_records) == 9
    with db.reading(db_url) as session:
        # The views added what a record alone cannot know: the authors' profiles.
        handles = session.scalar(select(func.count()).select_from(Author).where(Author.handle.is_not(None)))
    assert handles >= 9


def test_golden_jetstream_events_each_handled(db_url):
    path = real_data("jetstream_v1_golden.jsonl", "bluesky")
    summary = import_files([path], url=db_url, progress=False)
    with db.reading(db_url) as session:
        kinds = dict(session.execute(select(Post.kind, func.count()).group_by(Post.kind)).all())
    # A post (a reply) and a repost; a like, a follow, a profile, a delete, a record of another
    # application, an identity, an account event and a block are not posts.
    assert summary.lines == 10 and summary.rejected == 0
    assert kinds == {"reply": 1, "retweet": 1}


def test_the_events_bluesky_account_and_hashtag_decide_the_reasons(db_url, monkeypatch):
    monkeypatch.setenv("EVENT_HASHTAGS", "#hceres")
    monkeypatch.setenv("EVENT_ACCOUNTS", "osce_cthb boogheta.bsky.social")
    with db.writing(db_url) as session:
        sync_event(session)
    import_files([real_data("twitwi_bluesky-posts.json", "bluesky")], url=db_url, progress=False)
    with db.reading(db_url) as session:
        reasons = dict(session.execute(select(Post.reason, func.count()).group_by(Post.reason)).all())
        by_account = session.scalar(
            select(func.count())
            .select_from(Post)
            .join(Author, Author.id == Post.author_id)
            .where(Post.collected.is_(True), Author.handle == "boogheta.bsky.social")
        )
        tagged = set(
            session.scalars(
                select(PostEntity.post_id).where(PostEntity.kind == "hashtag", PostEntity.value == "hceres")
            )
        )
        hashtag_posts = set(session.scalars(select(Post.id).where(Post.reason == "hashtag")))
    assert reasons["own"] == by_account == 9
    assert hashtag_posts and hashtag_posts <= tagged
    assert set(reasons) <= {"own", "hashtag", "reply", "mention", "other", None}


def _event(did: str, rkey: str, operation: str, time_us: int, text: str = "") -> dict:
    commit = {"rev": "3m7aazmlmyy25", "operation": operation, "collection": "app.bsky.feed.post", "rkey": rkey}
    if operation == "create":
        commit["cid"] = "bafyreiewgdr4ccuuhbl2l4xs3i2sqzemq3jaotm33pd5mj6xx64thqe3gi"
        commit["record"] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": "2018-04-23T08:10:00.000Z",
            "langs": ["en"],
            "facets": [
                {
                    "index": {"byteStart": 0, "byteEnd": 7},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "cthb18"}],
                }
            ],
        }
    return {"did": did, "time_us": time_us, "kind": "commit", "commit": commit}


def _counted(url: str) -> tuple[int, int, int]:
    """Posts, the volume rollup's count of them, the entity rollup's hashtags."""
    from engagement.storage.models import EntityRollup, VolumeRollup

    with db.reading(url) as session:
        posts = session.scalar(select(func.count()).select_from(Post).where(Post.collected.is_(True)))
        volume = session.scalar(select(func.coalesce(func.sum(VolumeRollup.posts), 0)))
        tags = session.scalar(
            select(func.coalesce(func.sum(EntityRollup.posts), 0)).where(EntityRollup.entity == "hashtag")
        )
    return posts, volume, tags


def test_a_deleted_post_leaves_every_count_and_never_comes_back(db_url, tmp_path):
    did = "did:plc:uu5mtxzumfsy5hqknfetoyft"
    profile = {"did": did, "handle": "someone.bsky.social", "displayName": "Someone"}
    created = [
        _event(did, rkey, "create", 1764929823464700 + n, "#cthb18 words") for n, rkey in enumerate(("3m7a1", "3m7a2"))
    ]
    first = tmp_path / "created.jsonl"
    first.write_text("".join(json.dumps(e) + "\n" for e in created), encoding="utf-8")
    import_files([first], url=db_url, progress=False)
    # The author (unknown to a bare record) comes with a search page, so the posts count.
    view = {
        "uri": f"at://{did}/app.bsky.feed.post/3m7a1",
        "cid": created[0]["commit"]["cid"],
        "author": profile,
        "record": created[0]["commit"]["record"],
        "indexedAt": "2018-04-23T08:10:01.000Z",
    }
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"posts": [view, {**view, "uri": f"at://{did}/app.bsky.feed.post/3m7a2"}]}))
    import_files([page], url=db_url, progress=False)
    assert _counted(db_url) == (2, 2, 2)

    deleted = tmp_path / "deleted.jsonl"
    deleted.write_text(json.dumps(_event(did, "3m7a1", "delete", 1764929823464800)) + "\n", encoding="utf-8")
    summary = import_files([deleted], url=db_url, progress=False)
    assert summary.store.posts_deleted == 1 and _counted(db_url) == (1, 1, 1)
    with db.reading(db_url) as session:
        texts = list(session.scalars(select(Post.text)))
    assert texts == ["#cthb18 words"]  # the other post's; the deleted one's text is gone with its row

    # The same search page again, and the creation: the deleted post stays deleted.
    again = import_files([tmp_path / "page.json", first], url=db_url, progress=False)
    assert again.store.deleted_skipped == 2 and again.store.posts_new == 0
    assert _counted(db_url) == (1, 1, 1)


def test_an_identity_event_renames_a_stored_author(db_url, tmp_path):
    did = "did:plc:uu5mtxzumfsy5hqknfetoyft"
    view = {
        "uri": f"at://{did}/app.bsky.feed.post/3m7a1",
        "cid": "bafyreiewgdr4ccuuhbl2l4xs3i2sqzemq3jaotm33pd5mj6xx64thqe3gi",
        "author": {"did": did, "handle": "old-name.bsky.social", "displayName": "Someone"},
        "record": {"$type": "app.bsky.feed.post", "text": "#cthb18", "createdAt": "2018-04-23T08:10:00.000Z"},
        "indexedAt": "2018-04-23T08:10:01.000Z",
    }
    identity = {
        "did": did,
        "time_us": 1764929823464900,
        "kind": "identity",
        "identity": {"did": did, "handle": "unodc.org", "seq": 1, "time": "2025-12-05T10:17:03.464Z"},
    }
    path = tmp_path / "renamed.jsonl"
    path.write_text(json.dumps({"posts": [view]}) + "\n" + json.dumps(identity) + "\n", encoding="utf-8")
    summary = import_files([path], url=db_url, progress=False)
    with db.reading(db_url) as session:
        author = session.scalar(select(Author).where(Author.platform_user_id == did))
    assert summary.store.authors_renamed == 1 and author.handle == "unodc.org"


def _labelled(obj, found: set[str]) -> set[str]:
    """The URIs of every view in ``obj``, nested ones too (quoted posts), that carries the label on
    itself or its author."""
    if isinstance(obj, list):
        for item in obj:
            _labelled(item, found)
    elif isinstance(obj, dict):
        labels = list(obj.get("labels") or []) + list((obj.get("author") or {}).get("labels") or [])
        if "uri" in obj and any(isinstance(x, dict) and x.get("val") == "!no-unauthenticated" for x in labels):
            found.add(obj["uri"])
        for value in obj.values():
            _labelled(value, found)
    return found


def test_posts_their_authors_keep_from_the_public_are_counted_but_never_named(db_url):
    from sqlalchemy import update

    from engagement.analysis import analytics
    from engagement.report import content

    path = real_data("twitwi_bluesky-posts.json", "bluesky")
    labelled = _labelled(json.loads(path.read_text(encoding="utf-8")), set())
    import_files([path], url=db_url, progress=False)
    with db.writing(db_url) as session:
        # Every author an organisation of the directory: the report may name any of them.
        session.execute(update(Author).values(group_source="directory"))
    with db.reading(db_url) as session:
        hidden = set(session.scalars(select(Post.platform_id).where(Post.hidden.is_(True))))
        shown = content.public_posts(session, analytics.ALL, limit=1000)
        named = set(session.scalars(select(Post.platform_id).where(Post.text.in_(list(shown["text"])))))
        counted = analytics.totals(session)["posts"]
        collected = session.scalar(select(func.count()).select_from(Post).where(Post.collected.is_(True)))
    assert hidden and hidden <= labelled
    assert not named & hidden and len(shown) > 50
    assert counted == collected  # hidden posts count like every other
    assert all(link.startswith("https://bsky.app/profile/did:") for link in shown["link"])


def test_a_repost_takes_its_reason_from_the_post_it_reposts(db_url, tmp_path, monkeypatch):
    from engagement.rules.sync import assign_in_steps

    organiser, someone = "did:plc:uu5mtxzumfsy5hqknfetoyft", "did:plc:crmrddqmbqzyqd24yjlpibz2"
    monkeypatch.setenv("EVENT_ACCOUNTS", "osce_cthb osce.bsky.social")

    def view(did: str, handle: str, rkey: str, text: str, tags=()) -> dict:
        facets = [
            {
                "index": {"byteStart": 0, "byteEnd": 1 + len(t)},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": t}],
            }
            for t in tags
        ]
        record = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": "2018-04-23T08:10:00.000Z",
            "facets": facets,
        }
        return {
            "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
            "cid": "bafyreiewgdr4ccuuhbl2l4xs3i2sqzemq3jaotm33pd5mj6xx64thqe3gi",
            "author": {"did": did, "handle": handle},
            "record": record,
            "indexedAt": "2018-04-23T08:10:01.000Z",
        }

    def repost(rkey: str, subject: dict, time_us: int) -> dict:
        record = {
            "$type": "app.bsky.feed.repost",
            "subject": {"uri": subject["uri"], "cid": subject["cid"]},
            "createdAt": "2018-04-23T08:20:00.000Z",
        }
        commit = {"rev": "3m7b", "operation": "create", "collection": "app.bsky.feed.repost", "rkey": rkey}
        return {
            "did": "did:plc:jhzoul6h437y2g5xsnsr2qr5",
            "time_us": time_us,
            "kind": "commit",
            "commit": {**commit, "record": record, "cid": subject["cid"]},
        }

    tagged = view(someone, "someone.bsky.social", "3m7c1", "#cthb18 now", ["cthb18"])
    own = view(organiser, "osce.bsky.social", "3m7c2", "Panel 1 starts now")
    plain = view(someone, "someone.bsky.social", "3m7c3", "lunch")
    with db.writing(db_url) as session:
        sync_event(session)
    path = tmp_path / "reposts.jsonl"
    lines = [{"posts": [tagged, own, plain]}] + [
        repost(f"3m7r{n}", subject, 1764929823464700 + n) for n, subject in enumerate((tagged, own, plain))
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    import_files([path], url=db_url, progress=False)

    def reposts() -> list[str | None]:
        with db.reading(db_url) as session:
            return list(session.scalars(select(Post.reason).where(Post.kind == "retweet").order_by(Post.platform_id)))

    assert reposts() == ["hashtag", "mention", "other"]
    with db.writing(db_url) as session:
        result = sync_event(session, assign=False)
    assign_in_steps(result, db_url)  # decided again: the same
    assert reposts() == ["hashtag", "mention", "other"] and result.posts_reasoned == 0


def test_a_bare_record_never_overwrites_what_a_view_said(db_url, tmp_path):
    """A Jetstream record knows no counts and no author labels: the view's likes and its hiding stay,
    whichever comes first, in one file or two."""
    did = "did:plc:uu5mtxzumfsy5hqknfetoyft"
    created = _event(did, "3m7d1", "create", 1764929823465000, "#cthb18 words")
    view = {
        "uri": f"at://{did}/app.bsky.feed.post/3m7d1",
        "cid": created["commit"]["cid"],
        "author": {"did": did, "handle": "someone.bsky.social", "labels": [{"val": "!no-unauthenticated"}]},
        "record": created["commit"]["record"],
        "likeCount": 50,
        "repostCount": 7,
        "indexedAt": "2018-04-23T08:10:01.000Z",
    }
    together = tmp_path / "together.jsonl"
    together.write_text(json.dumps(created) + "\n" + json.dumps({"posts": [view]}) + "\n", encoding="utf-8")
    import_files([together], url=db_url, progress=False)
    later = tmp_path / "later.jsonl"
    later.write_text(json.dumps({**created, "time_us": created["time_us"] + 1}) + "\n", encoding="utf-8")
    import_files([later], url=db_url, progress=False)
    with db.reading(db_url) as session:
        likes, retweets, hidden = session.execute(select(Post.likes, Post.retweets, Post.hidden)).one()
    assert (likes, retweets, hidden) == (50, 7, True)


def test_an_identity_of_the_events_account_makes_its_bare_posts_its_own(db_url, tmp_path, monkeypatch):
    did = "did:plc:uu5mtxzumfsy5hqknfetoyft"
    monkeypatch.setenv("EVENT_ACCOUNTS", "osce_cthb osce.bsky.social")
    with db.writing(db_url) as session:
        sync_event(session)
    identity = {
        "did": did,
        "time_us": 1764929823464600,
        "kind": "identity",
        "identity": {"did": did, "handle": "osce.bsky.social"},
    }
    path = tmp_path / "own.jsonl"
    lines = [identity, _event(did, "3m7e1", "create", 1764929823464700, "Panel 1 starts now")]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    import_files([path], url=db_url, progress=False)
    with db.reading(db_url) as session:
        reason, handle = session.execute(
            select(Post.reason, Author.handle).join(Author, Author.id == Post.author_id)
        ).one()
    assert (reason, handle) == ("own", "osce.bsky.social")


def test_a_postviews_author_keeps_the_bio_and_group_a_fuller_profile_gave(db_url, tmp_path):
    """A PostView's author (ProfileViewBasic) has no bio or follower count: importing one after a
    getProfiles answer must not empty the bio, nor lose the group the bio gave."""
    did = "did:plc:uu5mtxzumfsy5hqknfetoyft"
    created = _event(did, "3m7d1", "create", 1764929823465000, "#cthb18 words")
    author = {"did": did, "handle": "someone.bsky.social", "displayName": "Someone"}
    view = {
        "uri": f"at://{did}/app.bsky.feed.post/3m7d1",
        "cid": created["commit"]["cid"],
        "author": author,
        "record": created["commit"]["record"],
        "likeCount": 1,
        "indexedAt": "2018-04-23T08:10:01.000Z",
    }
    full = {**author, "description": "Programme officer at UNODC", "followersCount": 120}
    first = tmp_path / "profile.jsonl"
    first.write_text(json.dumps({"posts": [{**view, "author": full}]}) + "\n", encoding="utf-8")
    import_files([first], url=db_url, progress=False)
    later = tmp_path / "view.jsonl"
    later.write_text(json.dumps({"posts": [{**view, "likeCount": 2}]}) + "\n", encoding="utf-8")
    import_files([later], url=db_url, progress=False)
    with db.reading(db_url) as session:
        bio, followers, group = session.execute(select(Author.bio, Author.followers, Author.group_key)).one()
        likes = session.scalar(select(Post.likes))
    assert (bio, followers, group, likes) == ("Programme officer at UNODC", 120, "intl_org", 2)
