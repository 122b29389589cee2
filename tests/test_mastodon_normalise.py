"""The Mastodon normaliser over real recorded responses (tests/data/mastodon): every status stored
or rejected with its reason, edits, the reblog wrapper, the quote bridged from Bluesky, replies
within a page, and Mastodon's HTML as text, hostile HTML included. No database."""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagement.collection.bluesky.normalise import shape_of as bluesky_shape
from engagement.collection.mastodon.normalise import (
    absolute_acct,
    bridged_uri,
    normalise_account,
    normalise_page,
    normalise_response,
    normalise_status,
    shape_of,
)
from engagement.collection.mastodon.plaintext import render, to_text
from engagement.collection.records import RecordError
from engagement.collection.store import newer

from .helpers import real_data

RECORDINGS = (
    "mastodonpy_test_entity_quote.bodies.json",
    "mastodonpy_test_entity_status.bodies.json",
    "mastodonpy_test_entity_statusedit.bodies.json",
    "mastodonpy_test_hashtag_tl.bodies.json",
    "rtoot_get_account_statuses_default.bodies.json",
    "rtoot_get_timeline_hashtag_anonymous.bodies.json",
)


def load(name: str) -> list[dict]:
    return json.loads(real_data(name, source="mastodon").read_text(encoding="utf-8"))


def statuses_of(name: str) -> list[dict]:
    """The statuses the recording's GET responses hold (not what they carry inside)."""
    found = []
    for response in load(name):
        if response["method"] == "GET":
            body = response["body"]
            found += [s for s in (body if isinstance(body, list) else [body]) if shape_of(s) == "status"]
    return found


def page(name: str) -> list[dict]:
    [response] = [r for r in load(name) if isinstance(r["body"], list)]
    return response["body"]


def by_uri(batch) -> dict:
    return {post.platform_id: post for post in batch.posts}


# --- every recorded response


@pytest.mark.parametrize("name", RECORDINGS)
def test_every_recorded_status_is_stored_or_rejected_with_a_reason(name):
    posts, rejected, deleted = {}, [], []
    for response in load(name):
        batch = normalise_response(response)
        posts.update({p.platform_id: p for p in batch.posts if p.collected})
        rejected += batch.rejected
        deleted += batch.deleted
        assert batch.api_errors == []
    statuses = statuses_of(name)
    for status in statuses:
        key = bridged_uri(status) or status["uri"]
        assert key in posts, key
        assert posts[key].text or status["content"] == "" or status.get("reblog"), key
    assert len(posts) == len({bridged_uri(s) or s["uri"] for s in statuses})
    # No markup and no entity is left of the HTML (none of these posts writes "<", ">" or "&").
    for post in posts.values():
        assert not any(mark in post.text for mark in "<>&"), post.platform_id
    assert all(r.reason and r.location.startswith("body[") for r in rejected)
    if name.endswith("statusedit.bodies.json"):
        # Edit-history versions name no status: each one said so, nothing stored.
        assert not posts and len(rejected) == 4 and all("edit history" in r.reason for r in rejected)
    else:
        assert rejected == []
    # The recording of the hashtag timeline ends with its author deleting the post.
    assert len(deleted) == (1 if name.endswith("hashtag_tl.bodies.json") else 0)


def test_a_recorded_list_of_responses_and_a_page_are_told_apart():
    responses = load("rtoot_get_timeline_hashtag_anonymous.bodies.json")
    statuses = responses[0]["body"]
    assert shape_of(responses) == "responses" and shape_of(responses[0]) == "response"
    assert shape_of(statuses) == "page" and shape_of(statuses[0]) == "status"
    assert shape_of(load("mastodonpy_test_entity_statusedit.bodies.json")[0]["body"][0]) == "edit"
    # Nothing of another network reads as Mastodon, and a status is no Bluesky post.
    bluesky = json.loads(real_data("twitwi_bluesky-posts.json", "bluesky").read_text(encoding="utf-8"))
    jetstream = real_data("jetstream_v1_golden.jsonl", "bluesky").read_text(encoding="utf-8").splitlines()
    others = [*bluesky[:20], *(json.loads(line) for line in jetstream), {"data": [], "meta": {}}, [1, 2], {}]
    assert {shape_of(other) for other in others} == {"unknown"}
    assert bluesky_shape(statuses[0]) == "unknown"


def test_a_timeline_page_gives_its_posts_authors_and_the_recordings_time():
    [response] = load("rtoot_get_timeline_hashtag_anonymous.bodies.json")
    batch = normalise_response(response)
    assert [p.platform_id for p in batch.posts] == [s["uri"] for s in response["body"]]
    assert batch.retrieved_at is not None and batch.retrieved_at.isoformat() == "2022-11-08T16:30:30+00:00"
    sarti = by_uri(batch)["https://mas.to/users/CathleenSarti/statuses/109304314822684850"]
    assert sarti.platform == "mastodon" and sarti.language == "en" and sarti.kind == "original"
    assert sarti.author_platform_id == "https://mas.to/users/CathleenSarti"
    assert (sarti.retweets, sarti.likes, sarti.replies, sarti.quotes) == (6, 0, 0, 0) and sarti.metrics_known
    # Hashtags from tags[] (the server's casing), not read out of the text.
    assert sarti.hashtags[0] == "IchbinHanna" and len(sarti.hashtags) == 9 and "#introduction" in sarti.text
    assert sarti.created_at.isoformat() == "2022-11-07T20:04:43+00:00"
    handles = {u.platform_user_id: u.handle for u in batch.users}
    # A local account's acct has no host: the profile's host makes it whole.
    assert handles["https://mastodon.social/users/amreibahr"] == "amreibahr@mastodon.social"
    assert handles["https://mas.to/users/CathleenSarti"] == "CathleenSarti@mas.to"


def test_an_author_is_keyed_on_its_account_uri_whatever_the_server_gives():
    status = page("rtoot_get_timeline_hashtag_anonymous.bodies.json")[1]
    account = status["account"]
    assert "uri" not in account  # a 2022 server: the key comes from the status's own uri
    before = normalise_account(account, status["uri"])
    after = normalise_account({**account, "uri": "https://mas.to/users/CathleenSarti", "acct": "CathleenSarti"})
    assert before.platform_user_id == after.platform_user_id == "https://mas.to/users/CathleenSarti"
    assert before.handle == after.handle == "CathleenSarti@mas.to"
    # Elsewhere than Mastodon's /users/<name>/statuses/<id>: the profile address.
    assert normalise_account(account, "https://mas.to/objects/1").platform_user_id == account["url"]
    with pytest.raises(RecordError, match="uri or url"):
        normalise_account({"acct": "nobody"})


def test_a_note_becomes_text_for_classification():
    [status, local] = statuses_of("mastodonpy_test_entity_status.bodies.json")
    halcy = normalise_account(local["account"])
    assert halcy.bio is not None and halcy.bio.startswith("halcy.de/ ~ Local account.\n\nNow also")
    assert "<" not in halcy.bio and "https://" not in halcy.bio  # the invisible part is not shown
    assert halcy.display_name == "autumnal halcy" and halcy.followers == 126 and halcy.verified is None
    assert normalise_account(status["account"]).display_name == "halcy\u200b :icosahedron:"
    # A display name is plain text: what looks like markup there is what the person wrote.
    assert normalise_account({**local["account"], "display_name": "a <b>x</b> &amp;"}).display_name == (
        "a <b>x</b> &amp;"
    )


# --- edits, reblogs, replies, quotes


def test_an_edited_status_keeps_its_newest_text_whoever_reported_it():
    [edited, _] = statuses_of("mastodonpy_test_entity_status.bodies.json")
    [history, _] = [r["body"] for r in load("mastodonpy_test_entity_statusedit.bodies.json")]
    first, last = history
    # The same status as an instance that only saw the first version gives it.
    original = {
        **copy.deepcopy(edited),
        "id": "1",
        "content": first["content"],
        "spoiler_text": first["spoiler_text"],
        "edited_at": None,
        "tags": [],
    }
    [new] = normalise_status(edited).posts
    [old] = normalise_status(original).posts
    assert new.platform_id == old.platform_id and new.created_at == old.created_at
    assert newer(new.current_id, old.current_id) and not newer(old.current_id, new.current_id)
    assert not newer(new.current_id, new.current_id)
    assert new.text == to_text(last["content"]) and "edit: editing this" in new.text
    assert "edit:" not in old.text and new.hashtags == ["thisisahashtag"] and old.hashtags == []
    # The content warning beside the text, not in it.
    assert new.content_warning == "test post for mastodon.py stuff" and old.content_warning is None
    assert new.content_warning not in new.text
    assert new.mentions == ["halcy@icosahedron.website"] and new.media_count == 1


def test_the_reblog_wrapper_is_a_repost_of_the_reblogged_status():
    batch = normalise_page(page("rtoot_get_account_statuses_default.bodies.json"))
    posts = by_uri(batch)
    wrapper = posts["https://social.tchncs.de/users/chainsawriot/statuses/109302355966430559/activity"]
    inner_uri = "https://fosstodon.org/users/JBGruber/statuses/109302082337396296"
    inner = posts[inner_uri]
    assert wrapper.kind == "retweet" and wrapper.text == "" and wrapper.collected
    assert wrapper.author_platform_id == "https://social.tchncs.de/users/chainsawriot"
    assert (
        wrapper.referenced == [{"type": "retweeted", "id": inner_uri}] and wrapper.referenced_platform_id == inner_uri
    )
    assert not inner.collected and inner.kind == "original" and inner.hashtags == ["rstats"]
    assert inner.author_platform_id == "https://fosstodon.org/users/JBGruber"
    assert inner.text.startswith("my first rtoot from #rstats")
    assert "https://github.com/schochastics/rtoot" in inner.urls
    assert {u.handle for u in batch.users} == {"chainsawriot@social.tchncs.de", "JBGruber@fosstodon.org"}
    assert Counter(p.kind for p in batch.posts if p.collected) == {"original": 14, "reply": 5, "retweet": 1}


def test_a_reply_names_its_parent_only_when_the_page_holds_it():
    statuses = page("rtoot_get_account_statuses_default.bodies.json")
    posts = by_uri(normalise_page(statuses))
    local = {s["id"]: s["uri"] for s in statuses}
    replies = [s for s in statuses if s["in_reply_to_id"]]
    resolved = [s for s in replies if s["in_reply_to_id"] in local]
    assert len(replies) == 5 and len(resolved) == 2
    for status in replies:
        post = posts[status["uri"]]
        assert post.kind == "reply"
        if status in resolved:
            parent = local[status["in_reply_to_id"]]
            assert post.referenced == [{"type": "replied_to", "id": parent}] and post.referenced_platform_id == parent
            assert post.in_reply_to_user_id == "https://social.tchncs.de/users/chainsawriot"
            assert post.conversation_id == parent  # the thread's first post the page holds
        else:
            # The parent's id is local to the instance: not guessed.
            assert post.referenced == [] and post.referenced_platform_id is None and post.conversation_id is None
    # Alone, the same reply knows its parent no more.
    [alone] = normalise_status(resolved[0]).posts
    assert alone.kind == "reply" and alone.referenced_platform_id is None
    # …but a thread of the author's own names the author.
    assert alone.in_reply_to_user_id == "https://social.tchncs.de/users/chainsawriot"


def test_the_quote_bridged_from_bluesky_is_the_bluesky_post():
    [response] = load("mastodonpy_test_entity_quote.bodies.json")
    batch = normalise_response(response)
    did = "did:plc:5syfqzormjkutgo5hi2u2gpr"
    outer, quoted = f"at://{did}/app.bsky.feed.post/3lwlunj3oqs22", f"at://{did}/app.bsky.feed.post/3lwlumdwf522i"
    posts = by_uri(batch)
    assert set(posts) == {outer, quoted} and {p.platform for p in batch.posts} == {"bluesky"}
    post = posts[outer]
    assert post.collected and not posts[quoted].collected
    assert post.current_id == outer and post.author_platform_id == posts[quoted].author_platform_id == did
    # A reply that quotes: a reply first; its parent is in no page here, the quoted post is.
    assert post.kind == "reply" and post.referenced == [{"type": "quoted", "id": quoted}]
    assert post.text == "actual reply that quotes a post that quotes a post bsky.app/profile/h4lc..."
    assert "RE:" not in post.text  # the quote-inline fallback is not the text
    # The instance's counts of a bridged copy are not Bluesky's; the bridge's profile is not the person's.
    assert not post.metrics_known and batch.users == []
    assert batch.renamed == [("bluesky", did, "h4lcy.bsky.social")]


BRIDGED = "at://did:plc:abc/app.bsky.feed.post/3k"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, BRIDGED),
        (
            {"uri": "https://bsky.brid.gy/convert/ap/at://did:plc:zzz/app.bsky.feed.post/3z"},
            BRIDGED.replace("abc", "zzz").replace("3k", "3z"),
        ),
        # A handle where the DID should be: the account's actor gives the DID.
        ({"uri": "https://bsky.brid.gy/convert/ap/at://someone.bsky.social/app.bsky.feed.post/3k"}, BRIDGED),
        # The uri unreadable: the web address names the post…
        ({"uri": "https://bsky.brid.gy/convert/ap/nonsense"}, BRIDGED),
        # …by a handle: the account's actor gives the DID.
        (
            {"uri": None, "url": "https://bsky.brid.gy/r/https://bsky.app/profile/someone.bsky.social/post/3k"},
            BRIDGED,
        ),
    ],
)
def test_bridgy_fed_copies_are_told_by_their_uri_url_or_account(change, expected):
    status = {
        "uri": "https://bsky.brid.gy/convert/ap/at://did:plc:abc/app.bsky.feed.post/3k",
        "url": "https://bsky.brid.gy/r/https://bsky.app/profile/did:plc:abc/post/3k",
        "account": {"acct": "someone.bsky.social@bsky.brid.gy", "uri": "https://bsky.brid.gy/ap/did:plc:abc"},
    }
    assert bridged_uri({**status, **change}) == expected


def test_a_bridged_copy_without_a_readable_bluesky_post_is_rejected_not_counted_twice():
    status = statuses_of("mastodonpy_test_entity_quote.bodies.json")[0]
    broken = {**status, "quote": None, "uri": "https://bsky.brid.gy/convert/ap/x", "url": None}
    batch = normalise_status(broken)
    assert batch.posts == [] and "Bridgy Fed" in batch.rejected[0].reason
    no_did = {**broken, "uri": "https://bsky.brid.gy/convert/ap/at://h.bsky.social/app.bsky.feed.post/3k"}
    no_did["account"] = {**no_did["account"], "uri": "https://bsky.brid.gy/ap/h.bsky.social"}
    assert "author's DID" in normalise_status(no_did).rejected[0].reason
    # A status of the fediverse is no bridged copy.
    assert bridged_uri(statuses_of("mastodonpy_test_entity_status.bodies.json")[0]) is None


@pytest.mark.parametrize("visibility", ["private", "direct", "limited", None])
def test_a_status_not_meant_for_the_public_is_rejected_and_its_text_not_kept(visibility):
    status = copy.deepcopy(statuses_of("mastodonpy_test_entity_status.bodies.json")[1])
    status["visibility"] = visibility
    [rejection] = normalise_status(status).rejected
    assert normalise_status(status).posts == [] and "not public" in rejection.reason
    assert rejection.raw == {"id": status["id"], "uri": status["uri"], "visibility": visibility}
    del status["visibility"]
    assert "says no visibility" in normalise_status(status).rejected[0].reason


def test_unlisted_statuses_are_stored():
    status = {**statuses_of("mastodonpy_test_entity_status.bodies.json")[1], "visibility": "unlisted"}
    assert len(normalise_status(status).posts) == 1


def test_a_recorded_error_and_an_instance_description_give_no_post():
    instance = load("mastodonpy_test_hashtag_tl.bodies.json")[1]
    assert normalise_response(instance).posts == normalise_response(instance).rejected == []
    error = {"method": "GET", "uri": "https://a.example/api/v1/timelines/tag/x", "status": 401, "body": {"error": "no"}}
    batch = normalise_response(error)
    assert batch.posts == [] and batch.api_errors[0]["detail"] == "no" and "401" in batch.api_errors[0]["title"]
    other = {"method": "GET", "uri": "https://a.example/api/v1/accounts/1", "status": 200, "body": {"id": "1"}}
    assert "holds no statuses" in normalise_response(other).rejected[0].reason


def test_a_deleted_status_is_named_for_the_store():
    delete = load("mastodonpy_test_hashtag_tl.bodies.json")[3]
    assert normalise_response(delete).deleted == [("mastodon", delete["body"]["uri"])]
    assert normalise_response(delete).posts == []


def test_absolute_accounts():
    assert absolute_acct("halcy", "https://mastodon.social/@halcy") == "halcy@mastodon.social"
    assert absolute_acct("@a@Example.ORG", None) == "a@example.org"
    assert absolute_acct("a", None) is None and absolute_acct("", "https://x.org/@a") is None
    assert absolute_acct(None, "https://x.org") is None


# --- HTML as text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>one</p><p>two<br>three</p>", "one\n\ntwo\nthree"),
        ("<p>a<br><br>b</p>", "a\n\nb"),
        ("<p>a<br></p><p>b</p>", "a\n\nb"),  # a break before a paragraph's end is no second one
        ("<p>x</p>\n<p>y</p>", "x\n\ny"),
        (
            '<a href="https://example.org/a/very/long/path"><span class="invisible">https://</span>'
            '<span class="ellipsis">example.org/a/very</span><span class="invisible">/long/path</span></a>',
            "example.org/a/very…",
        ),
        ('<p>quoting<span class="quote-inline"><br><br>RE: <a href="https://q.example/1">q</a></span></p>', "quoting"),
        ('<p class="quote-inline">RE: x</p><p>mine</p>', "mine"),
        ("<p>Tom &amp; Jerry &lt;3 &eacute;t&eacute; &#x1F600; &nbsp;!</p>", "Tom & Jerry <3 été 😀 \xa0!"),
        ("<p>fish &amp chips</p>", "fish & chips"),
        ("plain text, no markup", "plain text, no markup"),
        ("", ""),
    ],
)
def test_mastodon_html_reads_as_the_app_shows_it(html, text):
    assert to_text(html) == text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>hi<script>alert('x')</script> there</p>", "hi there"),
        ("<style>p { color: red }</style><p>styled</p>", "styled"),
        ('<a href="javascript:alert(1)">click me</a>', "click me"),
        ("<p>a<b>b<i>c</b>d</i>e</p>", "abcde"),  # misnested
        ("<p>unclosed <b>bold <i>italic", "unclosed bold italic"),
        ("</p></div>stray</span> ends", "stray ends"),
        ("<p>x<!-- a comment --><![CDATA[ cdata ]]>y</p>", "xy"),
        ("<img src=x onerror=alert(1)>pic<svg><text>drawn</text></svg>", "pic"),
        ("<iframe src='https://evil.example'>inside</iframe>ok", "ok"),
        ("<noscript><p>no</p></noscript>yes", "yes"),
        ("<p>nul\x00 and \x1b[31mescape</p>", "nul and [31mescape"),
        ("<scr<script>ipt>alert(1)</script>", "ipt>alert(1)"),
        ('<a href="https://ok.example" onclick="evil()">link</a>', "link"),
        ("<<p>>", "<\n\n>"),
    ],
)
def test_hostile_html_comes_out_as_its_text_only(html, text):
    assert to_text(html) == text


def test_links_are_web_addresses_only_and_mentions_and_hashtags_are_told():
    rendered = render(
        '<a href="javascript:alert(1)">a</a><a href="data:text/html,x">b</a>'
        '<a href="https://mastodon.social/tags/x" class="mention hashtag">#<span>x</span></a>'
        '<a href="https://misskey.example/tags/y">#y</a>'
        '<span class="h-card"><a href="https://a.example/@b" class="u-url mention">@<span>b</span></a></span>'
        '<a href="https://example.org/page">page</a><span class="invisible"><a href="https://hidden.example">h</a></span>'
    )
    assert [link.href for link in rendered.links if not link.tagged] == ["https://example.org/page"]
    assert [link.text for link in rendered.links] == ["#x", "#y", "@b", "page"]


def test_very_deep_nesting_is_read_flat():
    html = "<span>" * 5000 + "deep" + "</span>" * 5000 + "<p>after</p>"
    assert to_text(html) == "deep\n\nafter"


TAGS = st.sampled_from(["p", "span", "a", "br", "b", "script", "style", "div", "li", "img", "svg", "x-y"])
CLASSES = st.sampled_from(["", "invisible", "ellipsis", "quote-inline", "mention hashtag", "h-card"])


@st.composite
def markup(draw) -> str:
    """Text of letters only, inside random, often broken, tags."""
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        tag, klass = draw(TAGS), draw(CLASSES)
        choice = draw(st.integers(0, 3))
        if choice == 0:
            parts.append(f'<{tag} class="{klass}" href="javascript:x">')
        elif choice == 1:
            parts.append(f"</{tag}>")
        else:
            parts.append(draw(st.text("abc XYZ\n", max_size=8)))
    return "".join(parts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup())
def test_random_broken_markup_never_leaves_markup_or_fails(html):
    rendered = render(html)
    assert "<" not in rendered.text and ">" not in rendered.text and "\x00" not in rendered.text
    assert all(link.href.startswith("http") for link in rendered.links)


def _mutations() -> st.SearchStrategy:
    statuses = statuses_of("rtoot_get_timeline_hashtag_anonymous.bodies.json") + statuses_of(
        "mastodonpy_test_entity_quote.bodies.json"
    )
    junk: st.SearchStrategy = st.one_of(
        st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2), st.just({})
    )
    fields = st.sampled_from(
        ["uri", "url", "account", "content", "created_at", "edited_at", "tags", "mentions", "visibility", "reblog"]
        + ["quote", "in_reply_to_id", "media_attachments", "card", "reblogs_count", "language", "spoiler_text"]
    )
    return st.tuples(st.sampled_from(statuses), st.lists(st.tuples(fields, junk), max_size=4))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_a_mutated_status_is_stored_or_rejected_never_an_exception(case):
    status, changes = case
    status = copy.deepcopy(status)
    for name, value in changes:
        status[name] = value
    batch = normalise_page([status])
    collected = [p for p in batch.posts if p.collected]
    assert len(collected) + len([r for r in batch.rejected if r.location == "[0]"]) == 1
    assert all(r.reason for r in batch.rejected)


def _status(local_id: str, uri: str, **fields) -> dict:
    account = {"id": "7", "acct": "a", "url": "https://one.example/@a", "uri": "https://one.example/users/a"}
    status = {"id": local_id, "uri": uri, "created_at": "2026-05-04T09:00:00.000Z", "visibility": "public"}
    return {**status, "content": "<p>x</p>", "account": account, **fields}


def test_a_thread_and_a_shallow_quote_are_resolved_within_the_page():
    root = _status("1", "https://one.example/users/a/statuses/1")
    middle = _status("2", "https://one.example/users/a/statuses/2", in_reply_to_id="1", in_reply_to_account_id="7")
    leaf = _status("3", "https://one.example/users/a/statuses/3", in_reply_to_id="2", in_reply_to_account_id="7")
    quoting = _status(
        "4", "https://one.example/users/a/statuses/4", quote={"state": "accepted", "quoted_status_id": "1"}
    )
    pending = _status("5", "https://one.example/users/a/statuses/5", quote={"state": "pending", "quoted_status": root})
    posts = by_uri(normalise_page([leaf, quoting, pending, middle, root]))
    assert (
        posts[leaf["uri"]].conversation_id == root["uri"] and posts[leaf["uri"]].referenced_platform_id == middle["uri"]
    )
    assert posts[quoting["uri"]].kind == "quote" and posts[quoting["uri"]].referenced_platform_id == root["uri"]
    # A quote its author has not accepted yet is no quote.
    assert posts[pending["uri"]].kind == "original" and posts[pending["uri"]].referenced == []


def test_statuses_nested_too_deep_are_rejected_not_a_crash():
    status = _status("0", "https://one.example/users/a/statuses/0")
    for number in range(1, 2000):
        status = _status(str(number), f"https://one.example/users/a/statuses/{number}/activity", reblog=status)
    batch = normalise_status(status)
    assert any("nested more than" in r.reason for r in batch.rejected)
