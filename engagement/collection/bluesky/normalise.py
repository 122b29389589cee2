"""Bluesky JSON → plain records, ready to store. No database here.

Two sources, one row per post whichever brought it:

- the AppView (``app.bsky.feed.searchPosts`` / ``getPosts`` pages, PostViews, FeedViewPosts
  ``{post, reason, reply}``, ``{uri, post}`` wrappers): ``normalise_page``, ``normalise_post_view``,
  ``normalise_author``;
- Jetstream v1 events (``kind`` commit / identity / account): ``normalise_jetstream``, which returns a
  ``JetstreamResult``: the batch, the deletions, the handle announcements and the event's ``time_us``.

Everything a post's own record says (kind, references, text, tags, mentions, links, media) is read
from ``record`` alone, never from the AppView's hydrated ``embed`` view, so that a Jetstream record
and its PostView give the same row; the view adds the author's profile and the counts.

A record that cannot be used is returned as a rejection with its reason; the rest of the page still
goes in. Oddities that do not stop a post (an unknown facet type, a mention whose byte offsets cut
through a word, an embed of a type the app does not render) drop that detail only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engagement.collection.records import Batch, PostRecord, RecordError, Rejection, UserRecord, count, count_or_none
from engagement.storage.models import PostKind

PLATFORM = "bluesky"
__all__ = [
    "PLATFORM",
    "Deletion",
    "JetstreamResult",
    "find_hashtags",
    "hidden_from_public",
    "normalise_author",
    "normalise_jetstream",
    "normalise_page",
    "normalise_post_view",
    "shape_of",
]

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
EMBED_RECORD = "app.bsky.embed.record"
EMBED_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
EMBED_IMAGES = "app.bsky.embed.images"
EMBED_VIDEO = "app.bsky.embed.video"
EMBED_EXTERNAL = "app.bsky.embed.external"
VIEW_RECORD = "app.bsky.embed.record#viewRecord"
REASON_REPOST = "app.bsky.feed.defs#reasonRepost"
# The author asked not to be shown to logged-out viewers (a self-label on the post or the profile).
HIDDEN_LABEL = "!no-unauthenticated"

# Counts are stored as 32-bit integers (PostgreSQL's INTEGER), as for X: a larger one saturates there
# rather than failing the whole page.

# did:plc:… and did:web:… as the DID spec writes them (method in lower case, no trailing ':').
DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._-]")
# at://<did or handle>/<collection NSID>/<record key>: only full record URIs name a post.
AT_URI = re.compile(r"at://([^/\s]+)/([A-Za-z][A-Za-z0-9.-]*[A-Za-z0-9])/([A-Za-z0-9._~:-]{1,512})")
# A handle is a domain name (atproto's handle syntax, 253 characters at most).
HANDLE = re.compile(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?")

# Bluesky's own hashtag detector (@atproto/api rich-text TAG_REGEX and detectFacets):
#   (^|\s)[#＃]((?!\ufe0f)[^\s\u00AD\u2060\u200A\u200B\u200C\u200D\u20e2]*
#              [^\d\s\p{P}\u00AD\u2060\u200A\u200B\u200C\u200D\u20e2]+[^\s\u00AD…\u20e2]*)?
# then trailing \p{P} stripped and 1–64 UTF-16 units kept. Python's ``re`` has no \p{P}: the run of
# tag characters is matched here and the "not only digits and punctuation" rule checked by Unicode
# category in ``_tag_of``. JavaScript's \d is ASCII only, hence 0–9 there, not str.isdigit().
TAG_BREAKS = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"  # soft hyphen, zero-width joiners and spaces
TAG_RUN = re.compile(r"(?:^|(?<=\s))[#＃](?!\ufe0f)([^\s" + TAG_BREAKS + r"]+)")
TAG_MAX_UTF16 = 64

# Facet feature types as they appear in real posts (tests/data/bluesky/twitwi_bluesky-posts.json):
# besides the lexicon's ``app.bsky.richtext.facet#tag``, clients write ``#hashtag`` (value under
# ``hashtag``), ``#Tag``, ``facet.tag``, ``app.bsky.richtext.tag#tag`` and plain ``FACETTAG``; links
# come as ``#link``, ``facet.link`` and ``app.bsky.feature.url``. The last name of the type, case
# folded, says what the feature is; its value must still be there.
TAG_FEATURES = {"tag", "hashtag", "facettag"}
LINK_FEATURES = {"link", "url"}
MENTION_FEATURES = {"mention"}


@dataclass
class Deletion:
    """A Jetstream ``delete`` of a post or a repost: the store should forget ``uri``."""

    uri: str
    did: str
    time_us: int


@dataclass
class JetstreamResult:
    """What one Jetstream event says.

    ``handles`` holds identity announcements as ``UserRecord``s with only the DID and the handle
    (the handle is None when the event does not carry one: re-resolve it). They are kept apart from
    ``batch.users`` because the store would read their empty profile fields as a cleared profile.
    ``time_us`` is the event's cursor (None only when the event was rejected for lacking it);
    ``ignored`` counts an event of a kind or collection we do not keep (a like, a follow, …)."""

    batch: Batch = field(default_factory=Batch)
    deletions: list[Deletion] = field(default_factory=list)
    handles: list[UserRecord] = field(default_factory=list)
    time_us: int | None = None
    ignored: int = 0


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _type(obj: Any) -> str | None:
    """An object's ``$type``; ``nsid#main`` is the lexicon's spelling of ``nsid`` (real example:
    ``app.bsky.embed.external#main``)."""
    kind = _dict(obj).get("$type")
    return kind.removesuffix("#main") if isinstance(kind, str) else None


def _did(value: Any, what: str) -> str:
    if isinstance(value, str) and len(value) <= 2048 and DID.fullmatch(value):
        return value
    raise RecordError(f"{what} is not a DID: {value!r:.60}")


def _uri_parts(value: Any) -> tuple[str, str, str] | None:
    """(authority, collection, record key) of an at:// record URI, or None."""
    match = AT_URI.fullmatch(value) if isinstance(value, str) and len(value) <= 8192 else None
    return (match[1], match[2], match[3]) if match else None


def _post_uri(value: Any, what: str) -> tuple[str, str]:
    """A post's URI and the DID it names."""
    parts = _uri_parts(value)
    if parts is None or parts[1] != POST or not DID.fullmatch(parts[0]):
        raise RecordError(f"{what} is not an at:// post URI: {value!r:.80}")
    return value, parts[0]


def _instant(value: Any) -> datetime | None:
    """An aware UTC time from an RFC 3339 string, or None when it is unusable: not a string, not a
    date Python can hold (real example: ``0000-10-14T15:06:10.730Z``), or without a time zone (the
    lexicon requires one; guessing UTC could move a post by hours)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):  # year 1 with a positive offset overflows in astimezone
        return None


def _microseconds(value: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(value / 1_000_000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _folded(tag: str) -> str:
    return unicodedata.normalize("NFKC", tag).casefold()


def _punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _without_trailing_punctuation(tag: str) -> str:
    end = len(tag)
    while end and _punctuation(tag[end - 1]):
        end -= 1
    return tag[:end]


def _tag_of(run: str) -> str | None:
    """The tag Bluesky's detector makes of the characters after a '#', or None."""
    if not any(not ("0" <= c <= "9") and not _punctuation(c) for c in run):
        return None  # only digits and punctuation: "#1", "#2024!"
    tag = _without_trailing_punctuation(run)
    return tag if 0 < len(tag.encode("utf-16-le", "surrogatepass")) // 2 <= TAG_MAX_UTF16 else None


def find_hashtags(text: str) -> list[str]:
    """The hashtags Bluesky's app would make of plain ``text`` (without '#'), in order."""
    return [tag for match in TAG_RUN.finditer(text) if (tag := _tag_of(match[1])) is not None]


def _feature_name(feature: dict) -> str:
    """The last name of a facet feature's type, case folded: ``app.bsky.richtext.facet#tag`` → tag."""
    kind = _str(feature.get("$type")) or ""
    return re.split(r"[#.]", kind)[-1].casefold()


def _features(record: dict) -> Iterator[tuple[str, dict, dict]]:
    """(feature name, feature, facet index) for every well-formed feature of the record's facets."""
    for facet in _list(record.get("facets")):
        for feature in _list(_dict(facet).get("features")):
            if isinstance(feature, dict):
                yield _feature_name(feature), feature, _dict(_dict(facet).get("index"))


def _unique_tags(tags: Iterable[str]) -> list[str]:
    """Tags as first written, one per NFKC case-folded form ("#Paris" and "#paris" are one tag)."""
    seen: dict[str, str] = {}
    for tag in tags:
        seen.setdefault(_folded(tag), tag)
    return list(seen.values())


def _declared(value: Any) -> str | None:
    """A tag as a facet or ``record.tags`` declares it: without '#' and, as the detector does,
    without trailing punctuation (a bridge's facets say ``E,`` and ``Milosz,`` for the text's
    ``#E, … #Milosz,``: one tag each, not two). Kept even when all digits (``#3``: the author's
    client declared it)."""
    tag = _without_trailing_punctuation(value.strip().lstrip("#＃")) if isinstance(value, str) else ""
    return tag or None


def _hashtags(record: dict, text: str) -> list[str]:
    """Facet tags (as their author's client wrote them), then ``record.tags`` (not in the text), then
    the tags of plain text no facet marked (some clients write none)."""
    declared = [
        _declared(_str(feature.get("tag")) or feature.get("hashtag"))
        for name, feature, _ in _features(record)
        if name in TAG_FEATURES
    ]
    declared += [_declared(tag) for tag in _list(record.get("tags"))]
    return _unique_tags([*(tag for tag in declared if tag), *find_hashtags(text)])


def _slice(encoded: bytes, index: dict) -> str | None:
    """The text a facet covers: byteStart and byteEnd are UTF-8 byte offsets, not characters."""
    start, end = index.get("byteStart"), index.get("byteEnd")
    if type(start) is not int or type(end) is not int or not 0 <= start < end <= len(encoded):
        return None
    try:
        return encoded[start:end].decode("utf-8")
    except UnicodeDecodeError:  # offsets that split a character
        return None


def _mentions(record: dict, text: str) -> list[str]:
    """Handles (lower case, no '@') of the mention facets, read from the text they cover: the facet
    itself holds only the DID, which the raw record keeps. A slice that is not a handle is left out:
    real posts carry offsets counted in other units ("eur David @chava", " un 40%? �")."""
    encoded, handles = text.encode("utf-8", "surrogatepass"), []  # JSON may hold lone surrogates
    for name, feature, index in _features(record):
        if name not in MENTION_FEATURES or not isinstance(feature.get("did"), str):
            continue
        covered = _slice(encoded, index)
        handle = covered.strip().removeprefix("@").lower() if covered else ""
        if HANDLE.fullmatch(handle) and len(handle) <= 253 and handle not in handles:
            handles.append(handle)
    return handles


def _media(embed: dict) -> dict:
    """The media part of an embed: recordWithMedia wraps it beside the quoted record."""
    return _dict(embed.get("media")) if _type(embed) == EMBED_RECORD_WITH_MEDIA else embed


def _urls(record: dict) -> list[str]:
    """Link facets, then the link card (an external embed, alone or beside a quote), each once."""
    urls = [
        uri
        for name, feature, _ in _features(record)
        if name in LINK_FEATURES and isinstance(uri := feature.get("uri"), str) and uri
    ]
    media = _media(_dict(record.get("embed")))
    card = _dict(media.get("external")).get("uri") if _type(media) == EMBED_EXTERNAL else None
    if isinstance(card, str) and card:
        urls.append(card)
    return list(dict.fromkeys(urls))


def _mediacount(record: dict) -> int:
    """Images and videos the app shows; embeds of other types (``app.bsky.embed.videos``,
    ``app.bsky.embed.viewImages``, … seen in real posts) are not rendered, so not counted."""
    media = _media(_dict(record.get("embed")))
    if _type(media) == EMBED_IMAGES:
        return sum(isinstance(image, dict) for image in _list(media.get("images")))
    return 1 if _type(media) == EMBED_VIDEO else 0


def _quoted(record: dict) -> str | None:
    """The quoted post's URI; a quote of a feed, a list, a starter pack or a profile is not a post."""
    embed = _dict(record.get("embed"))
    if _type(embed) == EMBED_RECORD:
        uri = _dict(embed.get("record")).get("uri")
    elif _type(embed) == EMBED_RECORD_WITH_MEDIA:
        uri = _dict(_dict(embed.get("record")).get("record")).get("uri")
    else:
        return None
    parts = _uri_parts(uri)
    return uri if parts is not None and parts[1] == POST else None


def _reply(record: dict, post_uri: str) -> tuple[str, str, str | None] | None:
    """(parent URI, root URI, the parent's author DID) of a reply, or None for a post that is not one."""
    reply = record.get("reply")
    if reply is None:
        return None
    parent = _dict(_dict(reply).get("parent")).get("uri")
    root = _dict(_dict(reply).get("root")).get("uri")
    parent_parts = _uri_parts(parent)
    if not isinstance(parent, str) or parent_parts is None:
        raise RecordError(f"post {post_uri} is a reply without a readable parent URI")
    parent_did = parent_parts[0] if DID.fullmatch(parent_parts[0]) else None
    return parent, (root if isinstance(root, str) and _uri_parts(root) else parent), parent_did


def _record_post(
    uri: str,
    author: str,
    record: Any,
    fallback: datetime | None,
    *,
    counts: dict,
    raw: dict,
    collected: bool,
) -> PostRecord:
    """A post from its record: everything but the counts is what the record alone says."""
    if not isinstance(record, dict):
        raise RecordError(f"post {uri} has no record")
    text = record.get("text")
    if not isinstance(text, str):
        raise RecordError(f"post {uri} has no text")
    created_at = _instant(record.get("createdAt")) or fallback
    if created_at is None:
        raise RecordError(f"post {uri} has no readable createdAt ({record.get('createdAt')!r:.40}) nor indexing time")
    reply, quoted = _reply(record, uri), _quoted(record)
    references = []
    if reply:
        references.append({"type": "replied_to", "id": reply[0]})
    if quoted:
        references.append({"type": "quoted", "id": quoted})
    # A reply that also quotes is a reply first, as on X.
    kind = PostKind.reply if reply else PostKind.quote if quoted else PostKind.original
    language = next((lang for lang in _list(record.get("langs")) if isinstance(lang, str)), None)
    return PostRecord(
        platform_id=uri,
        current_id=uri,
        author_platform_id=author,
        created_at=created_at,
        text=text,
        language=language,
        kind=kind,
        referenced=references,
        referenced_platform_id=references[0]["id"] if references else None,
        in_reply_to_user_id=reply[2] if reply else None,
        conversation_id=reply[1] if reply else uri,
        hashtags=_hashtags(record, text),
        mentions=_mentions(record, text),
        urls=_urls(record),
        media_count=_mediacount(record),
        retweets=count(counts, "repostCount"),
        replies=count(counts, "replyCount"),
        likes=count(counts, "likeCount"),
        quotes=count(counts, "quoteCount"),
        impressions=None,
        collected=collected,
        raw=raw,
        platform=PLATFORM,
    )


def _repost(uri: str, reposter: str, subject: Any, created_at: datetime, raw: dict) -> PostRecord:
    """A repost as its own row: the repost record's URI, the reposter, the repost's time, no text."""
    target, _ = _post_uri(subject, f"repost {uri}'s subject")
    return PostRecord(
        platform_id=uri,
        current_id=uri,
        author_platform_id=reposter,
        created_at=created_at,
        text="",
        language=None,
        kind=PostKind.retweet,
        referenced=[{"type": "retweeted", "id": target}],
        referenced_platform_id=target,
        in_reply_to_user_id=None,
        conversation_id=uri,
        hashtags=[],
        mentions=[],
        urls=[],
        media_count=0,
        retweets=0,
        replies=0,
        likes=0,
        quotes=0,
        impressions=None,
        collected=True,
        raw=raw,
        platform=PLATFORM,
    )


def _view_post(view: Any, record_key: str, *, collected: bool, raw: Any = None) -> PostRecord:
    if not isinstance(view, dict):
        raise RecordError("post view is not a JSON object")
    uri, uri_did = _post_uri(view.get("uri"), "post view uri")
    author = _did(_dict(view.get("author")).get("did"), f"post {uri}'s author")
    if author != uri_did:
        raise RecordError(f"post {uri} names another author ({author})")
    post = _record_post(
        uri,
        author,
        view.get(record_key),
        _instant(view.get("indexedAt")),
        counts=view,
        raw=view if raw is None else raw,
        collected=collected,
    )
    post.hidden = hidden_from_public(view)
    return post


def normalise_post_view(view: Any, *, collected: bool = True) -> PostRecord:
    """An AppView PostView (``uri``, ``author``, ``record``, counts, ``indexedAt``) as a post."""
    return _view_post(view, "record", collected=collected)


def normalise_author(profile: Any) -> UserRecord:
    """A ProfileViewBasic or ProfileView as an author, keyed on the DID (handles change)."""
    if not isinstance(profile, dict):
        raise RecordError("profile is not a JSON object")
    verification = profile.get("verification")
    status = _dict(verification).get("verifiedStatus")
    return UserRecord(
        platform_user_id=_did(profile.get("did"), "profile did"),
        handle=_str(profile.get("handle")),
        display_name=_str(profile.get("displayName")),
        bio=_str(profile.get("description")),
        location=None,
        followers=count_or_none(profile.get("followersCount")),
        verified=status == "valid" if isinstance(status, str) else None,
        platform=PLATFORM,
    )


def hidden_from_public(view: Any) -> bool:
    """Whether the post or its author carries ``!no-unauthenticated``: never on a public page.

    Takes a PostView (or a ``{post: …}`` wrapper) or a Jetstream event; reads the view's labels, the
    author's and the record's self-labels. A negating label (``neg``) does not unhide: a post is
    hidden if any of its copies says so."""
    obj = _dict(view)
    if isinstance(obj.get("post"), dict):
        obj = obj["post"]
    record = _dict(obj.get("record")) or _dict(_dict(obj.get("commit")).get("record"))
    labels = [
        *_list(obj.get("labels")),
        *_list(_dict(obj.get("author")).get("labels")),
        *_list(_dict(record.get("labels")).get("values")),
    ]
    return any(isinstance(label, dict) and label.get("val") == HIDDEN_LABEL for label in labels)


def _jetstream_commit(event: dict, did: str, time_us: int, result: JetstreamResult) -> None:
    commit = event.get("commit")
    if not isinstance(commit, dict):
        raise RecordError("commit event without a commit object")
    operation, collection, rkey = commit.get("operation"), commit.get("collection"), commit.get("rkey")
    if not all(isinstance(v, str) and v for v in (operation, collection, rkey)):
        raise RecordError("commit without operation, collection or rkey")
    uri = f"at://{did}/{collection}/{rkey}"
    if collection not in (POST, REPOST):
        result.ignored += 1
        return
    if _uri_parts(uri) is None:
        raise RecordError(f"commit with an unreadable rkey {rkey!r:.40}")
    if operation == "delete":
        result.deletions.append(Deletion(uri, did, time_us))
    elif collection == POST and operation in ("create", "update"):
        # An update replaces the whole record (Bluesky has no edits); the store keys on the URI.
        seen = _microseconds(time_us)
        post = _record_post(uri, did, commit.get("record"), seen, counts={}, raw=event, collected=True)
        post.metrics_known = False  # a record says nothing of likes and reposts: keep what a view said
        result.batch.posts.append(post)
    elif collection == REPOST and operation == "create":
        record = commit.get("record")
        if not isinstance(record, dict):
            raise RecordError(f"repost {uri} has no record")
        created_at = _instant(record.get("createdAt")) or _microseconds(time_us)
        if created_at is None:
            raise RecordError(f"repost {uri} has no readable createdAt")
        repost = _repost(uri, did, _dict(record.get("subject")).get("uri"), created_at, event)
        repost.metrics_known = False
        result.batch.posts.append(repost)
    else:
        result.ignored += 1  # a repost's update changes nothing we keep


def normalise_jetstream(event: Any) -> JetstreamResult:
    """One Jetstream v1 event: a post or repost created, a post or repost deleted, a handle
    announced; every other kind and collection is counted as ignored. A malformed event is one
    rejection (location "" : the whole line), never an exception."""
    result = JetstreamResult()
    try:
        if not isinstance(event, dict):
            raise RecordError("Jetstream event is not a JSON object")
        did = _did(event.get("did"), "event did")
        time_us = event.get("time_us")
        if type(time_us) is not int or time_us < 0:
            raise RecordError(f"event without a time_us: {time_us!r:.40}")
        result.time_us = time_us
        kind = event.get("kind")
        if kind == "commit":
            _jetstream_commit(event, did, time_us, result)
        elif kind == "identity":
            identity = _dict(event.get("identity"))
            handle = _str(identity.get("handle"))
            result.handles.append(
                UserRecord(did, handle.lower() if handle else None, None, None, None, None, None, platform=PLATFORM)
            )
        elif isinstance(kind, str):
            result.ignored += 1  # "account" (activation, takedown) and kinds to come
        else:
            raise RecordError(f"event without a kind: {kind!r:.40}")
    except RecordError as error:
        result.batch.rejected.append(Rejection("", str(error), event))
    return result


def shape_of(obj: Any) -> str:
    """'jetstream' (an event), 'page' (a list, or an object with ``posts`` or ``feed``), 'post' (a
    PostView, a FeedViewPost or a ``{uri, post}`` wrapper) or 'unknown'."""
    if isinstance(obj, list):
        return "page"
    if not isinstance(obj, dict):
        return "unknown"
    if isinstance(obj.get("kind"), str) and "did" in obj and "time_us" in obj:
        return "jetstream"
    if isinstance(obj.get("posts"), list) or isinstance(obj.get("feed"), list):
        return "page"
    if isinstance(obj.get("post"), dict) or ("uri" in obj and "record" in obj and "author" in obj):
        return "post"
    return "unknown"


class _PageBuilder:
    """A batch being filled, each post and author once (the first copy: a page's own items come
    before the context they carry)."""

    def __init__(self) -> None:
        self.batch = Batch()
        self.posts: dict[str, int] = {}  # URI → position in batch.posts
        self.users: set[str] = set()

    def post(self, make, item: Any, where: str) -> PostRecord | None:
        try:
            record = make(item)
        except RecordError as error:
            self.batch.rejected.append(Rejection(where, str(error), item))
            return None
        held = self.posts.get(record.platform_id)
        if held is None:
            self.posts[record.platform_id] = len(self.batch.posts)
            self.batch.posts.append(record)
        elif record.collected and not self.batch.posts[held].collected:
            self.batch.posts[held] = record  # quoted earlier in the page, returned itself later
        return record

    def holds(self, uri: Any) -> bool:
        return isinstance(uri, str) and uri in self.posts

    def user(self, profile: Any, where: str) -> None:
        if profile is None:
            return
        try:
            user = normalise_author(profile)
        except RecordError as error:
            self.batch.rejected.append(Rejection(where, str(error), profile))
            return
        if user.platform_user_id not in self.users:
            self.users.add(user.platform_user_id)
            self.batch.users.append(user)

    def view(self, view: Any, where: str, *, collected: bool) -> None:
        """A PostView with its author and the quoted posts it carries."""
        if not collected and self.holds(_dict(view).get("uri")):
            return
        if self.post(lambda v: normalise_post_view(v, collected=collected), view, where):
            self.user(view["author"], f"{where}.author")
            self.quoted(_dict(view.get("embed")), f"{where}.embed", depth=0)

    def quoted(self, embed: dict, where: str, depth: int) -> None:
        """The quoted post's viewRecord (``value`` holds its record, ``embeds`` its own embeds), as
        context; a viewNotFound, viewDetached, viewBlocked, feed or list is not a post and is passed."""
        if _type(embed) == f"{EMBED_RECORD_WITH_MEDIA}#view":
            # Its ``record`` is a record#view, written without its $type (not a union there).
            embed, where = _dict(embed.get("record")), f"{where}.record"
        elif _type(embed) != f"{EMBED_RECORD}#view":
            return
        quoted = _dict(embed.get("record"))
        if _type(quoted) != VIEW_RECORD or depth > 2:
            return
        where = f"{where}.record"
        if not self.holds(quoted.get("uri")):
            if not self.post(lambda v: _view_post(v, "value", collected=False), quoted, where):
                return
            self.user(quoted["author"], f"{where}.author")
        # Walked even when the post is already held: a copy met deeper in another quote came
        # without its own embeds (the AppView stops there).
        for index, inner in enumerate(_list(quoted.get("embeds"))):
            self.quoted(_dict(inner), f"{where}.embeds[{index}]", depth + 1)

    def item(self, item: Any, where: str) -> None:
        """A PostView, or a FeedViewPost / ``{uri, post}`` wrapper around one."""
        if not isinstance(item, dict):
            self.batch.rejected.append(Rejection(where, "item is not a JSON object", item))
            return
        if "post" not in item:
            self.view(item, where, collected=True)
            return
        self.view(item["post"], f"{where}.post", collected=True)
        reply = _dict(item.get("reply"))
        for part in ("parent", "root"):
            context = reply.get(part)
            if isinstance(context, dict) and "record" in context and "author" in context:
                self.view(context, f"{where}.reply.{part}", collected=False)
        self.user(reply.get("grandparentAuthor"), f"{where}.reply.grandparentAuthor")
        self.reason(_dict(item.get("reason")), _dict(item.get("post")).get("uri"), f"{where}.reason")

    def reason(self, reason: dict, subject: Any, where: str) -> None:
        """Why a feed shows the post: a repost is its own row where the AppView names the repost
        record (``reason.uri``); older AppViews do not (both real examples): then only the reposter
        goes in."""
        if _type(reason) != REASON_REPOST:
            return
        self.user(reason.get("by"), f"{where}.by")
        if reason.get("uri") is None:
            return

        def make(reason: dict) -> PostRecord:
            uri, reposter = reason.get("uri"), _did(_dict(reason.get("by")).get("did"), "reposter")
            parts = _uri_parts(uri)
            if not isinstance(uri, str) or parts is None or parts[1] != REPOST:
                raise RecordError(f"repost reason with an unreadable uri {uri!r:.80}")
            created_at = _instant(reason.get("indexedAt"))
            if created_at is None:
                raise RecordError(f"repost {uri} has no readable indexedAt")
            return _repost(uri, reposter, subject, created_at, reason)

        self.post(make, reason, where)


def normalise_page(obj: Any) -> Batch:
    """One AppView response or file item as a batch: a ``{posts: […], cursor}`` page (searchPosts,
    getPosts), a ``{feed: […]}`` page, a list of items, or one item (PostView, FeedViewPost, ``{uri,
    post}``). Quoted posts and reply parents the views carry go in as context (``collected=False``);
    authors come from each view. ``next_token`` is the page's cursor."""
    shape = shape_of(obj)
    if shape not in ("page", "post"):
        raise RecordError(
            "not a Bluesky AppView page or post" + (" (a Jetstream event)" if shape == "jetstream" else "")
        )
    builder = _PageBuilder()
    if shape == "post":
        builder.item(obj, "")
        return builder.batch
    name = "posts" if isinstance(obj, dict) and isinstance(obj.get("posts"), list) else "feed"
    items = obj if isinstance(obj, list) else obj[name]
    for index, item in enumerate(items):
        builder.item(item, f"[{index}]" if isinstance(obj, list) else f"{name}[{index}]")
    if isinstance(obj, dict):
        builder.batch.next_token = _str(obj.get("cursor"))
    return builder.batch
