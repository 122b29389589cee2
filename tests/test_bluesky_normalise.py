"""The Bluesky normaliser over real recorded data (tests/data/bluesky): AppView items, Jetstream events
and the 9 posts recorded both ways. No database."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagement.collection.bluesky.normalise import (
    Deletion,
    find_hashtags,
    hidden_from_public,
    normalise_author,
    normalise_jetstream,
    normalise_page,
    normalise_post_view,
    shape_of,
)
from engagement.collection.records import COUNT_MAX, RecordError

from .helpers import real_data

# The fields a Jetstream record alone can know: its PostView must agree on every one.
RECORD_FIELDS = (
    "platform_id",
    "current_id",
    "author_platform_id",
    "created_at",
    "text",
    "language",
    "kind",
    "referenced",
    "referenced_platform_id",
    "in_reply_to_user_id",
    "conversation_id",
    "hashtags",
    "mentions",
    "urls",
    "media_count",
    "platform",
)


def load(name: str):
    path = real_data(name, source="bluesky")
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def items() -> list:
    return load("twitwi_bluesky-posts.json")


def view_of(item: dict) -> dict:
    return item.get("post", item)


def only_post(item):
    batch = normalise_page(item)
    [post] = [p for p in batch.posts if p.collected]
    return post


# --- every real AppView item


def test_every_real_appview_item_gives_a_post_or_a_rejection_with_its_reason(items):
    posts, rejected = [], []
    for index, item in enumerate(items):
        batch = normalise_page(item)
        collected = [p for p in batch.posts if p.collected]
        assert len(collected) + len(batch.rejected) >= 1, index
        posts += collected
        rejected += [(index, r) for r in batch.rejected]
    assert len(posts) == 122
    # The one rejection: createdAt and indexedAt both in year 0, which no datetime holds.
    assert [(index, r.location) for index, r in rejected] == [(122, "")]
    assert "createdAt ('0000-10-14T15:06:10.730Z')" in rejected[0][1].reason
    assert {p.platform for p in posts} == {"bluesky"}
    assert all(p.created_at.tzinfo == UTC for p in posts)
    assert all(p.platform_id == p.current_id and p.platform_id.startswith("at://") for p in posts)


def test_the_whole_file_as_one_page_holds_each_post_once_with_its_context(items):
    batch = normalise_page(items)
    collected = [p for p in batch.posts if p.collected]
    # 123 items name 119 URIs (4 are recorded twice); one is rejected.
    assert len(collected) == 118 and len({p.platform_id for p in batch.posts}) == len(batch.posts)
    assert Counter(p.kind for p in collected) == {"original": 81, "quote": 20, "reply": 17}
    assert len(batch.posts) - len(collected) == 15  # quoted posts and reply parents not returned themselves
    assert len(batch.rejected) == 1 and batch.rejected[0].location == "[122]"
    assert len(batch.users) == len({u.platform_user_id for u in batch.users}) == 108


def test_a_post_view_gives_its_fields(items):
    post = only_post(items[8])
    view = view_of(items[8])
    assert post.platform_id == view["uri"] and post.author_platform_id == view["author"]["did"]
    assert post.text == view["record"]["text"] and post.language == "fr"
    assert post.kind == "quote" and post.referenced == [
        {"type": "quoted", "id": view["record"]["embed"]["record"]["uri"]}
    ]
    assert post.conversation_id == post.platform_id and post.in_reply_to_user_id is None
    assert (post.retweets, post.replies, post.likes, post.quotes, post.impressions) == (
        view["repostCount"],
        view["replyCount"],
        view["likeCount"],
        view["quoteCount"],
        None,
    )
    assert post.raw is view


def test_a_reply_names_its_parent_author_and_its_root(items):
    post = only_post(items[32])
    reply = view_of(items[32])["record"]["reply"]
    assert post.kind == "reply" and post.referenced_platform_id == reply["parent"]["uri"]
    assert post.in_reply_to_user_id == reply["parent"]["uri"].split("/")[2]
    assert post.conversation_id == reply["root"]["uri"] != reply["parent"]["uri"]


def test_quotes_of_what_is_not_a_post_are_originals(items):
    # A feed generator, a list, a starter pack; a reply that embeds a profile (viewNotFound) quotes nothing.
    assert [only_post(items[i]).kind for i in (42, 43, 51)] == ["original", "original", "original"]
    assert [ref["type"] for ref in only_post(items[59]).referenced] == ["replied_to"]
    assert only_post(items[26]).kind == "quote"  # the quoted post is detached, but the record quotes it


def test_media_are_images_and_videos_beside_a_quote_too(items):
    assert only_post(items[11]).media_count == 3  # three images
    assert only_post(items[5]).media_count == 1  # a video
    assert only_post(items[0]).media_count == 1  # recordWithMedia: an image beside the quote
    assert only_post(items[25]).media_count == 1  # recordWithMedia: a video beside the quote
    assert only_post(items[86]).media_count == 0  # app.bsky.embed.videos: not a type the app renders
    assert only_post(items[24]).urls[-1] == view_of(items[24])["record"]["embed"]["media"]["external"]["uri"]


# --- hashtags, mentions


@pytest.mark.parametrize(
    ("index", "tags"),
    [
        (78, ["GranTurismo7", "Update155", "RaceReady"]),  # "$type": "…facet#hashtag", value under "hashtag"
        (87, ["Paris", "Lille", "Starlink"]),  # "…facet#Tag"
        (68, ["Abbey", "EdAbbey"]),  # "FACETTAG"
        (91, ["3"]),  # "…facet.tag", all digits: declared by the client, so kept
    ],
)
def test_odd_facet_types_give_their_tags_without_the_text(items, index, tags):
    item = copy.deepcopy(items[index])
    record = view_of(item)["record"]
    record["text"] = record["text"].replace("#", "_")  # same bytes, no tag left for the text detector
    assert only_post(item).hashtags == tags


def test_a_tag_facet_without_its_value_is_found_in_the_text(items):
    # "app.bsky.richtext.tag#tag" with no "tag" over "#Tango"
    assert only_post(items[110]).hashtags == ["Tango"]
    item = copy.deepcopy(items[110])
    view_of(item)["record"]["text"] = view_of(item)["record"]["text"].replace("#", "_")
    assert only_post(item).hashtags == []


def test_facet_tags_lose_trailing_punctuation_as_detected_tags_do(items):
    # A bridge's facets say "E," and "(Artist)" for the text's "#E," and "#(Artist)".
    assert only_post(items[54]).hashtags == [
        "Books",
        "and",
        "Literature",
        "E",
        "Kayla",
        "(Artist",
        "Precious",
        "Rubbish",
        "(Book",
        "Milosz",
        "Czeslaw",
    ]


def test_record_tags_are_hashtags_too(items):
    assert only_post(items[114]).hashtags == ["tag1", "tag2"]
    assert only_post(items[70]).hashtags == ["Vídeo da TV"]
    assert "tag1" not in view_of(items[114])["record"]["text"]


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#cthb18 day one", ["cthb18"]),
        ("ends here #cthb18.", ["cthb18"]),
        ("(#cthb18)", []),  # not after whitespace
        ("mail a#b", []),
        ("#2018 and #18!", []),  # only digits (and punctuation)
        ("#18th", ["18th"]),
        ("＃全角 #日本語", ["全角", "日本語"]),
        ("#️⃣ keycap", []),
        ("#" + "a" * 64 + " #" + "b" * 65, ["a" * 64]),
        ("#" + "😀" * 32 + " #" + "😀" * 33, ["😀" * 32]),  # 64 UTF-16 units, as JavaScript counts
        ("#a\u200b#b", ["a"]),  # a zero-width space ends a tag
        ("line\n#next", ["next"]),
    ],
)
def test_plain_text_hashtags_follow_blueskys_detector(text, tags):
    assert find_hashtags(text) == tags


def test_hashtags_are_one_per_nfkc_casefolded_form_first_spelling_kept():
    view = post_view("#Cthb18 #cthb18 #ＣＴＨＢ18 #Straße #STRASSE")
    assert normalise_post_view(view).hashtags == ["Cthb18", "Straße"]


def test_mentions_are_the_handles_their_byte_offsets_cover(items):
    # "✊👇" (7 UTF-8 bytes, 2 characters) comes before the mention: character offsets would miss it.
    assert only_post(items[6]).mentions == ["fsu-nationale.bsky.social"]
    assert only_post(items[12]).mentions == ["medialab-scpo.bsky.social", "digitalmethods.net"]
    assert only_post(items[55]).mentions == ["edzard.bsky.social"]  # a facet without the '@'
    assert only_post(items[69]).mentions == ["sexoyloquesurja.bsky.social"]  # and one with a space before it


def test_a_mention_whose_offsets_cut_through_words_is_left_out(items):
    assert only_post(items[37]).mentions == []  # covers "eur David @chava"
    assert only_post(items[106]).mentions == []  # covers " un 40%? " and half an emoji


def test_byte_offsets_after_non_ascii_text():
    text = "Café 🎉 ünd @Alice.bsky.social said"
    start = len("Café 🎉 ünd ".encode())
    facet = {
        "index": {"byteStart": start, "byteEnd": start + len("@Alice.bsky.social")},
        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"}],
    }
    assert normalise_post_view(post_view(text, facets=[facet])).mentions == ["alice.bsky.social"]
    facet["index"] = {"byteStart": len("Café 🎉 ünd "), "byteEnd": len("Café 🎉 ünd @Alice.bsky.social")}
    assert normalise_post_view(post_view(text, facets=[facet])).mentions == []  # character offsets


# --- labels


def test_no_unauthenticated_posts_are_hidden_from_public_pages(items):
    hidden = [index for index, item in enumerate(items) if hidden_from_public(item)]
    assert hidden == [10, 13, 18, 20, 43, 61, 98, 102, 104, 108, 118, 119, 120]
    # 104 carries the label on its author, on the post's view and as the record's self-label:
    # each alone hides it.
    item = copy.deepcopy(items[104])
    item["author"]["labels"] = []
    assert hidden_from_public(item)
    item["labels"] = []
    assert hidden_from_public(item)
    item["record"]["labels"]["values"] = []
    assert not hidden_from_public(item)


def test_a_self_label_on_a_jetstream_record_hides_it():
    event = jetstream_post({"text": "hi", "createdAt": "2026-05-25T14:23:28.757Z"})
    assert not hidden_from_public(event)
    event["commit"]["record"]["labels"] = {
        "$type": "com.atproto.label.defs#selfLabels",
        "values": [{"val": "!no-unauthenticated"}],
    }
    assert hidden_from_public(event)


# --- Jetstream and its hydrated views


def test_each_jetstream_record_and_its_post_view_give_the_same_row():
    events = load("twitwi_bluesky-firehose-posts.json")
    views = {view["uri"]: view for view in load("twitwi_bluesky-hydrated-firehose-posts.json")}
    assert len(events) == len(views) == 9
    kinds = Counter()
    for event in events:
        result = normalise_jetstream(event)
        [streamed] = result.batch.posts
        hydrated = normalise_post_view(views[streamed.platform_id])
        assert {f: getattr(streamed, f) for f in RECORD_FIELDS} == {f: getattr(hydrated, f) for f in RECORD_FIELDS}
        assert (streamed.likes, streamed.raw, result.time_us) == (0, event, event["time_us"])
        assert result.batch.users == [] and result.batch.rejected == []
        kinds[streamed.kind] += 1
    assert kinds == {"original": 8, "reply": 1}


def test_the_golden_jetstream_events_each_as_documented():
    events = load("jetstream_v1_golden.jsonl")
    results = [normalise_jetstream(event) for event in events]
    assert [r.time_us for r in results] == [e["time_us"] for e in events]
    assert all(r.batch.rejected == [] for r in results)
    like, reply, repost, follow, profile, delete, other, identity, account, block = results
    for ignored in (like, follow, profile, other, account, block):
        assert (ignored.ignored, ignored.batch.posts, ignored.deletions, ignored.handles) == (1, [], [], [])
    [post] = reply.batch.posts
    assert (
        post.kind == "reply"
        and post.platform_id == "at://did:plc:q235v55g5unth4zjjdpacfdr/app.bsky.feed.post/3mmoojp4cd223"
    )
    assert post.in_reply_to_user_id == "did:plc:j76trmiofvaxxpvx2vnb2vwf"
    assert post.created_at == datetime(2026, 5, 25, 14, 23, 28, 757000, UTC)
    [shared] = repost.batch.posts
    assert (shared.kind, shared.text, shared.author_platform_id) == ("retweet", "", "did:plc:eizxoqcsvvvarxeb3pjkblrp")
    assert shared.platform_id == "at://did:plc:eizxoqcsvvvarxeb3pjkblrp/app.bsky.feed.repost/3mmoojpbade2i"
    subject = "at://did:plc:hjloomm2tkve3pmfgbxegl3v/app.bsky.feed.post/3mmood3a6hc25"
    assert shared.referenced == [{"type": "retweeted", "id": subject}] and shared.referenced_platform_id == subject
    # The golden delete is of an org.hypercerts record: nothing we keep, so ignored.
    assert (delete.ignored, delete.deletions) == (1, [])
    [handle] = identity.handles
    assert (handle.platform_user_id, handle.handle, handle.display_name, handle.platform) == (
        "did:plc:g4ut2w5755qxi3fe7mfs72p4",
        None,  # the event carries no handle: re-resolve it
        None,
        "bluesky",
    )
    assert identity.batch.users == []


def test_a_post_or_repost_delete_is_a_deletion():
    [_, _, _, _, _, delete, *_] = load("jetstream_v1_golden.jsonl")
    for collection in ("app.bsky.feed.post", "app.bsky.feed.repost"):
        event = copy.deepcopy(delete)
        event["commit"]["collection"] = collection
        result = normalise_jetstream(event)
        uri = f"at://did:plc:3xnadku4kemqnycbweqnvgzx/{collection}/3mmontn3gnc2e"
        assert result.deletions == [Deletion(uri, "did:plc:3xnadku4kemqnycbweqnvgzx", 1779719009153272)]
        assert result.batch.posts == [] and result.ignored == 0


def test_an_identity_event_with_a_handle_announces_it():
    event = {
        "did": "did:plc:abc",
        "time_us": 1,
        "kind": "identity",
        "identity": {"did": "did:plc:abc", "handle": "New.example"},
    }
    assert [(u.platform_user_id, u.handle) for u in normalise_jetstream(event).handles] == [
        ("did:plc:abc", "new.example")
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e.pop("time_us"), "time_us"),
        (lambda e: e.update(did="alice"), "not a DID"),
        (lambda e: e.pop("kind"), "kind"),
        (lambda e: e.update(commit=[]), "commit"),
        (lambda e: e["commit"].pop("rkey"), "rkey"),
        (lambda e: e["commit"].update(rkey="a/b"), "rkey"),
        (lambda e: e["commit"].pop("record"), "no record"),
        (lambda e: e["commit"]["record"].update(text=5), "no text"),
        (lambda e: e["commit"]["record"].update(reply={"parent": {}}), "parent"),
    ],
)
def test_a_malformed_jetstream_event_is_one_rejection(change, reason):
    event = jetstream_post({"text": "hi", "createdAt": "2026-05-25T14:23:28.757Z"})
    change(event)
    result = normalise_jetstream(event)
    [rejection] = result.batch.rejected
    assert reason in rejection.reason and rejection.raw is event and result.batch.posts == []


def test_a_jetstream_post_without_a_usable_created_at_takes_its_time_us():
    event = jetstream_post({"text": "hi", "createdAt": "soon"})
    [post] = normalise_jetstream(event).batch.posts
    assert post.created_at == datetime.fromtimestamp(event["time_us"] / 1e6, UTC)


# --- pages, wrappers, authors


def test_pages_lists_and_single_items_are_told_apart(items):
    page = {"posts": [view_of(items[0]), view_of(items[1])], "cursor": "abc"}
    assert [shape_of(x) for x in (page, items, items[0], items[31], items[51])] == [
        "page",
        "page",
        "post",
        "post",
        "post",
    ]
    assert shape_of(load("jetstream_v1_golden.jsonl")[0]) == "jetstream"
    assert [shape_of(x) for x in ({}, "x", None, {"uri": "at://x"})] == ["unknown"] * 4
    batch = normalise_page(page)
    assert batch.next_token == "abc" and [p.platform_id for p in batch.posts if p.collected] == [
        view_of(items[0])["uri"],
        view_of(items[1])["uri"],
    ]
    with pytest.raises(RecordError, match="Jetstream"):
        normalise_page(load("jetstream_v1_golden.jsonl")[0])


def test_quoted_posts_and_reply_parents_go_in_as_context(items):
    batch = normalise_page(items[0])  # a recordWithMedia quote
    quoted = view_of(items[0])["embed"]["record"]["record"]
    assert [(p.platform_id, p.collected) for p in batch.posts][1] == (quoted["uri"], False)
    assert batch.posts[1].text == quoted["value"]["text"] and batch.posts[1].raw is quoted
    assert quoted["author"]["did"] in {u.platform_user_id for u in batch.users}
    batch = normalise_page(items[32])  # a FeedViewPost with its reply's root and parent
    assert [p.collected for p in batch.posts] == [True, False, False]
    assert {p.platform_id for p in batch.posts[1:]} == {items[32]["reply"][k]["uri"] for k in ("root", "parent")}


def test_a_context_post_returned_itself_later_in_the_page_is_collected(items):
    quoting, quoted = items[0], view_of(items[0])["embed"]["record"]["record"]
    view = copy.deepcopy(view_of(items[1]))
    view.update(uri=quoted["uri"], author=quoted["author"])
    batch = normalise_page([quoting, view])
    [post] = [p for p in batch.posts if p.platform_id == quoted["uri"]]
    assert post.collected and post.raw is view


def test_a_feed_repost_is_its_own_row_where_the_appview_names_it(items):
    item = items[31]
    batch = normalise_page(item)
    # The recorded AppView gives the reposter, not the repost record's URI: the reposter only.
    assert [p.kind for p in batch.posts] == ["original"]
    assert item["reason"]["by"]["did"] in {u.platform_user_id for u in batch.users}
    item = copy.deepcopy(item)
    item["reason"]["uri"] = "at://did:plc:5klvtukw5fucxsrkjldhrjxs/app.bsky.feed.repost/3lls5yzt4yk2x"
    [_, repost] = normalise_page(item).posts
    assert (repost.kind, repost.platform_id, repost.author_platform_id, repost.referenced_platform_id) == (
        "retweet",
        item["reason"]["uri"],
        item["reason"]["by"]["did"],
        item["post"]["uri"],
    )
    assert repost.created_at == datetime(2025, 4, 2, 17, 0, 19, 684000, UTC)


def test_an_author_from_a_profile_view(items):
    profile = view_of(items[0])["author"]
    user = normalise_author(profile)
    assert (user.platform_user_id, user.handle, user.display_name, user.platform) == (
        profile["did"],
        profile["handle"],
        profile.get("displayName"),
        "bluesky",
    )
    assert (user.location, user.followers, user.verified) == (None, None, None)
    full = dict(profile, description="Researcher", followersCount=2**40, verification={"verifiedStatus": "valid"})
    user = normalise_author(full)
    assert (user.bio, user.followers, user.verified) == ("Researcher", COUNT_MAX, True)
    assert normalise_author(dict(full, verification={"verifiedStatus": "none"})).verified is False
    with pytest.raises(RecordError, match="DID"):
        normalise_author({"handle": "x.bsky.social"})


def test_counts_saturate_and_nonsense_counts_are_zero():
    view = post_view("hi")
    view.update(likeCount=2**40, repostCount=-3, replyCount="7", quoteCount=True)
    post = normalise_post_view(view)
    assert (post.likes, post.retweets, post.replies, post.quotes) == (COUNT_MAX, 0, 0, 0)


def test_an_unusable_created_at_falls_back_to_indexed_at():
    for created in ("0000-10-14T15:06:10Z", "2025-03-14 08:31", "yesterday", None, 5):
        view = post_view("hi")
        view["record"]["createdAt"] = created
        assert normalise_post_view(view).created_at == datetime(2025, 3, 14, 8, 31, 8, 19000, UTC), created


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda v: v.pop("uri"), "uri"),
        (lambda v: v.update(uri="at://did:plc:a/app.bsky.feed.like/1"), "post URI"),
        (lambda v: v.pop("author"), "author"),
        (lambda v: v["author"].update(did="did:plc:someone-else"), "another author"),
        (lambda v: v.update(record="text"), "no record"),
        (lambda v: v["record"].pop("text"), "no text"),
        (lambda v: (v["record"].update(createdAt="x"), v.update(indexedAt=None)), "createdAt"),
    ],
)
def test_a_malformed_view_is_rejected_alone_with_its_reason(change, reason):
    good, bad = post_view("kept"), post_view("dropped")
    change(bad)
    batch = normalise_page({"posts": [bad, good]})
    assert [p.text for p in batch.posts] == ["kept"]
    [rejection] = batch.rejected
    assert rejection.location == "posts[0]" and reason in rejection.reason


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def paths(obj, prefix=()):
    """Every (container, key) inside a JSON value, to mutate one."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield obj, key
            yield from paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield obj, index
            yield from paths(value, (*prefix, index))


SOURCES = [
    *load("twitwi_bluesky-posts.json"),
    *load("jetstream_v1_golden.jsonl"),
    *load("twitwi_bluesky-firehose-posts.json"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(min_value=0), st.integers(min_value=0), JSON, st.booleans())
def test_mutated_real_input_is_a_record_or_a_rejection_never_an_exception(which, where, value, drop):
    item = copy.deepcopy(SOURCES[which % len(SOURCES)])
    places = list(paths(item))
    container, key = places[where % len(places)]
    if drop and isinstance(container, dict):
        del container[key]
    else:
        container[key] = value
    if shape_of(item) == "jetstream" or "commit" in item:
        result = normalise_jetstream(item)
        assert result.batch.posts or result.batch.rejected or result.deletions or result.handles or result.ignored
        for rejection in result.batch.rejected:
            assert rejection.reason
    else:
        batch = normalise_page([item])  # a list is always a page: each item a record or a rejection
        assert [p for p in batch.posts if p.collected] or batch.rejected
        assert all(r.reason for r in batch.rejected)


# --- builders


def post_view(text: str, *, facets: list | None = None) -> dict:
    did = "did:plc:testauthor"
    record: dict = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2025-03-14T08:31:07Z"}
    if facets is not None:
        record["facets"] = facets
    return {
        "uri": f"at://{did}/app.bsky.feed.post/3lkeyt5kl7s2l",
        "cid": "bafy",
        "author": {"did": did, "handle": "test.bsky.social"},
        "record": record,
        "indexedAt": "2025-03-14T08:31:08.019Z",
    }


def jetstream_post(record: dict) -> dict:
    return {
        "did": "did:plc:q235v55g5unth4zjjdpacfdr",
        "time_us": 1779719009157119,
        "kind": "commit",
        "commit": {
            "rev": "3mmoojpaqkn2z",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": "3mmoojp4cd223",
            "record": {"$type": "app.bsky.feed.post", **record},
            "cid": "bafy",
        },
    }


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(JSON)
def test_arbitrary_json_is_never_an_exception(value):
    result = normalise_jetstream(value)
    assert result.batch.posts or result.batch.rejected or result.ignored or result.handles or result.deletions
    batch = normalise_page([value])
    assert batch.posts or batch.rejected
    assert isinstance(hidden_from_public(value), bool) and shape_of(value) in {"jetstream", "page", "post", "unknown"}
