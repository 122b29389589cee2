"""Bluesky's own shapes for the demo collection: identifiers, rich-text facets, PostViews as
``app.bsky.feed.searchPosts`` returns them, and Jetstream v1 repost events.

Nothing here plans anything: the generator decides who posts what and when, and these functions
write it as Bluesky would. Identifiers are derived from the seed and visibly made up (DIDs start
``did:plc:demo``, handles end ``.bsky.social`` and start ``demo-``); no image URL points at a real
host.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from engagement.timeutil import UTC

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
# atproto's base32-sortable alphabet: TIDs written with it sort as their times do.
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
DID_PREFIX = "did:plc:demo"
DID_LENGTH = len("did:plc:") + 24
# A post's text is limited to 300 graphemes (app.bsky.feed.post); characters are a safe stand-in here.
TEXT_LIMIT = 300
HANDLE_SUFFIX = ".bsky.social"
# The hashtags Bluesky's app makes facets of: '#' after the start or a space, then word characters.
TAG = re.compile(r"(?<!\S)#(\w+)")
# A handle mentioned in the text: a domain name after '@' (trailing dots are punctuation, not handle).
MENTION = re.compile(r"(?<![\w.@-])@([a-z0-9][a-z0-9.-]*[a-z0-9])")


def did_for(seed: int, number: int) -> str:
    """A did:plc (24 base32 characters) for the demo's author ``number``: seeded, starting "demo"."""
    digest = hashlib.blake2b(f"demo-did/{seed}/{number}".encode(), digest_size=15).digest()
    return DID_PREFIX + base64.b32encode(digest).decode("ascii").lower()[: DID_LENGTH - len(DID_PREFIX)]


def tid(microseconds: int, clock: int) -> str:
    """A record key in atproto's TID form: 53 bits of microseconds since 1970, 10 of clock id."""
    value = ((microseconds & ((1 << 53) - 1)) << 10) | (clock & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def cid_for(uri: str) -> str:
    """A CIDv1 (dag-cbor, sha-256) in the form the AppView writes; here the hash of the URI, not of
    the record's bytes (nothing in the app checks it)."""
    digest = hashlib.sha256(uri.encode()).digest()
    return "bafyrei" + base64.b32encode(digest).decode("ascii").lower().rstrip("=")


def post_uri(did: str, rkey: str, collection: str = POST) -> str:
    return f"at://{did}/{collection}/{rkey}"


def api_time(ms: int) -> str:
    """createdAt / indexedAt as Bluesky writes them: UTC, milliseconds, 'Z'."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def fit(text: str, limit: int = TEXT_LIMIT) -> str:
    """A text cut to ``limit`` (Bluesky's) at a space, never inside a tag or a handle, with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _byte_offset(text: str, index: int) -> int:
    return index if text.isascii() else len(text[:index].encode("utf-8"))


def facets(text: str, dids: Mapping[str, str], links: Sequence[tuple[str, str]] = ()) -> list[dict]:
    """The facets Bluesky's app writes for ``text``: a tag for each hashtag, a mention (with the DID)
    for each known handle, a link for each (shown text, URL) pair; offsets are UTF-8 bytes."""
    found: list[tuple[int, int, dict]] = []
    for match in TAG.finditer(text):
        found.append((match.start(), match.end(), {"$type": "app.bsky.richtext.facet#tag", "tag": match[1]}))
    for match in MENTION.finditer(text):
        did = dids.get(match[1])
        if did is not None:
            found.append((match.start(), match.end(), {"$type": "app.bsky.richtext.facet#mention", "did": did}))
    for shown, url in links:
        start = text.rfind(shown)
        if start >= 0:
            found.append((start, start + len(shown), {"$type": "app.bsky.richtext.facet#link", "uri": url}))
    found.sort(key=lambda item: item[0])
    return [
        {
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": _byte_offset(text, start), "byteEnd": _byte_offset(text, end)},
            "features": [feature],
        }
        for start, end, feature in found
    ]


def record(
    text: str,
    created_ms: int,
    language: str,
    dids: Mapping[str, str],
    *,
    links: Sequence[tuple[str, str]] = (),
    reply: tuple[str, str] | None = None,
    quote: tuple[str, str] | None = None,
    images: dict | None = None,
) -> dict:
    """An ``app.bsky.feed.post`` record. ``reply`` and ``quote`` are (URI, CID) of the post replied
    to (the thread's root too: the demo's replies answer top-level posts) and of the quoted post."""
    post: dict = {"$type": POST, "createdAt": api_time(created_ms), "langs": [language], "text": text}
    found = facets(text, dids, links)
    if found:
        post["facets"] = found
    if reply is not None:
        ref = {"uri": reply[0], "cid": reply[1]}
        post["reply"] = {"root": ref, "parent": dict(ref)}
    if quote is not None:
        post["embed"] = {"$type": "app.bsky.embed.record", "record": {"uri": quote[0], "cid": quote[1]}}
    elif images is not None:
        post["embed"] = images
    return post


def images(keys: Sequence[str], alt: str) -> dict:
    """An ``app.bsky.embed.images`` record embed: blobs named by made-up CIDs."""
    return {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "alt": alt,
                "aspectRatio": {"height": 800, "width": 1200},
                "image": {"$type": "blob", "ref": {"$link": key}, "mimeType": "image/jpeg", "size": 180_000},
            }
            for key in keys
        ],
    }


def images_view(keys: Sequence[str], alt: str, media_host: str) -> dict:
    """The view of an images embed; thumbnails on the demo's media host, which never resolves."""
    return {
        "$type": "app.bsky.embed.images#view",
        "images": [
            {
                "thumb": f"{media_host}/bsky/{key}_thumb.jpg",
                "fullsize": f"{media_host}/bsky/{key}.jpg",
                "alt": alt,
                "aspectRatio": {"height": 800, "width": 1200},
            }
            for key in keys
        ],
    }


def author_view(did: str, handle: str, name: str, bio: str, created_ms: int) -> dict:
    """The author as a PostView carries it (avatar left out: the demo points at no remote image).
    ``description`` is not in searchPosts' ProfileViewBasic: the collector hydrates it with
    ``app.bsky.actor.getProfiles`` for classification, and the demo carries that result in place."""
    return {
        "did": did,
        "handle": handle,
        "displayName": name,
        "description": bio,
        "labels": [],
        "createdAt": api_time(created_ms),
    }


def post_view(
    uri: str,
    author: dict,
    post: dict,
    indexed_ms: int,
    counts: tuple[int, int, int, int],
    embed: dict | None = None,
) -> dict:
    """A PostView as searchPosts returns it; ``counts`` are replies, reposts, likes and quotes."""
    replies, reposts, likes, quotes = counts
    view: dict = {"uri": uri, "cid": cid_for(uri), "author": author, "record": post}
    if embed is not None:
        view["embed"] = embed
    view.update(
        bookmarkCount=0,
        replyCount=replies,
        repostCount=reposts,
        likeCount=likes,
        quoteCount=quotes,
        indexedAt=api_time(indexed_ms),
        labels=[],
    )
    return view


def quoted_view(uri: str, author: dict, value: dict, indexed_ms: int, counts: tuple[int, int, int, int]) -> dict:
    """The ``app.bsky.embed.record#view`` a quoting PostView carries: the quoted post's viewRecord."""
    replies, reposts, likes, quotes = counts
    return {
        "$type": "app.bsky.embed.record#view",
        "record": {
            "$type": "app.bsky.embed.record#viewRecord",
            "uri": uri,
            "cid": cid_for(uri),
            "author": author,
            "value": value,
            "labels": [],
            "likeCount": likes,
            "replyCount": replies,
            "repostCount": reposts,
            "quoteCount": quotes,
            "indexedAt": api_time(indexed_ms),
            "embeds": [],
        },
    }


def not_found_view(uri: str) -> dict:
    """A quoted post the AppView no longer shows (deleted, or its author gone)."""
    return {
        "$type": "app.bsky.embed.record#view",
        "record": {"$type": "app.bsky.embed.record#viewNotFound", "uri": uri, "notFound": True},
    }


def repost_event(did: str, rkey: str, created_ms: int, seen_us: int, subject: str, rev: str) -> dict:
    """A Jetstream v1 commit creating an ``app.bsky.feed.repost`` of ``subject`` (a post URI)."""
    uri = post_uri(did, rkey, REPOST)
    return {
        "did": did,
        "time_us": seen_us,
        "kind": "commit",
        "commit": {
            "rev": rev,
            "operation": "create",
            "collection": REPOST,
            "rkey": rkey,
            "record": {
                "$type": REPOST,
                "createdAt": api_time(created_ms),
                "subject": {"cid": cid_for(subject), "uri": subject},
            },
            "cid": cid_for(uri),
        },
    }
