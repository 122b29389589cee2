"""X API v2 JSON → plain records, ready to store. No database here.

Understands the three shapes twarc2 writes: a search page (``data`` is a list, with ``includes``
and ``meta``), a stream message (``data`` is one post), and a flattened post (the post itself,
its author and referenced posts copied inline). A record that cannot be used is returned as a
rejection with its reason; the rest of the page still goes in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engagement.collection.records import Batch, PostRecord, RecordError, Rejection, UserRecord, count, count_or_none
from engagement.storage.models import PostKind
from engagement.timeutil import parse_api_time

PLATFORM = "x"
__all__ = [
    "PLATFORM",
    "Batch",
    "PostRecord",
    "RecordError",
    "Rejection",
    "UserRecord",
    "normalise_post",
    "normalise_user",
]
# When a post has several references, the kind follows the first type found in this order.
KIND_BY_REFERENCE = (("retweeted", PostKind.retweet), ("replied_to", PostKind.reply), ("quoted", PostKind.quote))


def _id(value: Any, what: str) -> str:
    if type(value) is str and value.isdigit() and len(value) <= 20:
        return value  # the usual case, first
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not value.isdigit() or len(value) > 20:
        raise RecordError(f"{what} is not a numeric id string: {value!r:.60}")
    return value


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def normalise_user(user: Any) -> UserRecord:
    if not isinstance(user, dict):
        raise RecordError("user is not a JSON object")
    metrics = _dict(user.get("public_metrics"))
    followers = count_or_none(metrics.get("followers_count"))
    verified = user.get("verified")
    return UserRecord(
        platform_user_id=_id(user.get("id"), "user id"),
        handle=user.get("username") if isinstance(user.get("username"), str) else None,
        display_name=user.get("name") if isinstance(user.get("name"), str) else None,
        bio=user.get("description") if isinstance(user.get("description"), str) else None,
        location=user.get("location") if isinstance(user.get("location"), str) else None,
        followers=followers,
        verified=verified if isinstance(verified, bool) else None,
    )


def normalise_post(tweet: Any, *, collected: bool = True) -> PostRecord:
    if not isinstance(tweet, dict):
        raise RecordError("post is not a JSON object")
    post_id = _id(tweet.get("id"), "post id")
    created = tweet.get("created_at")
    if not isinstance(created, str):
        raise RecordError(f"post {post_id} has no created_at")
    try:
        created_at = parse_api_time(created)
    except ValueError:
        raise RecordError(f"post {post_id} has an unreadable created_at {created!r:.40}") from None
    note = _dict(tweet.get("note_tweet"))
    text = note.get("text") if isinstance(note.get("text"), str) else tweet.get("text")
    if not isinstance(text, str):
        raise RecordError(f"post {post_id} has no text")
    history = [_id(v, "edit history id") for v in _list(tweet.get("edit_history_tweet_ids"))]
    logical_id = post_id if history == [post_id] else min(history + [post_id], key=int)

    references = []
    for ref in _list(tweet.get("referenced_tweets")):
        if isinstance(ref, dict) and isinstance(ref.get("type"), str):
            references.append({"type": ref["type"], "id": _id(ref.get("id"), "referenced post id")})
    kind, target = PostKind.original, None
    for ref_type, ref_kind in KIND_BY_REFERENCE if references else ():
        match = next((r for r in references if r["type"] == ref_type), None)
        if match:
            kind, target = ref_kind, match["id"]
            break

    # A long post's entities describe its full text.
    entities = _dict(note.get("entities")) or _dict(tweet.get("entities"))
    hashtags = [
        h["tag"] for h in _list(entities.get("hashtags")) if isinstance(h, dict) and isinstance(h.get("tag"), str)
    ]
    mentions = [
        m["username"]
        for m in _list(entities.get("mentions"))
        if isinstance(m, dict) and isinstance(m.get("username"), str)
    ]
    urls = [
        url
        for u in _list(entities.get("urls"))
        if isinstance(u, dict) and isinstance(url := u.get("expanded_url") or u.get("url"), str)
    ]
    metrics = _dict(tweet.get("public_metrics"))
    impressions = metrics.get("impression_count")
    author = tweet.get("author_id")
    reply_to = tweet.get("in_reply_to_user_id")
    conversation = tweet.get("conversation_id")
    language = tweet.get("lang")
    return PostRecord(
        platform_id=logical_id,
        current_id=post_id,
        author_platform_id=_id(author, "author id") if author is not None else None,
        created_at=created_at,
        text=text,
        language=language if isinstance(language, str) else None,
        kind=kind,
        referenced=references,
        referenced_platform_id=target,
        in_reply_to_user_id=_id(reply_to, "in_reply_to_user_id") if reply_to is not None else None,
        conversation_id=_id(conversation, "conversation id") if conversation is not None else None,
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        media_count=len(_list(_dict(tweet.get("attachments")).get("media_keys"))),
        retweets=count(metrics, "retweet_count"),
        replies=count(metrics, "reply_count"),
        likes=count(metrics, "like_count"),
        quotes=count(metrics, "quote_count"),
        impressions=count_or_none(impressions),
        collected=collected,
        raw=tweet,
    )


def _add(batch: Batch, make, item: Any, where: str, target: list) -> None:
    try:
        target.append(make(item))
    except RecordError as error:
        batch.rejected.append(Rejection(where, str(error), item))


def shape_of(obj: Any) -> str:
    """'page', 'stream', 'post', 'empty' (a page with no data, e.g. only errors) or 'unknown'."""
    if not isinstance(obj, dict):
        return "unknown"
    data = obj.get("data")
    if isinstance(data, list):
        return "page"
    if isinstance(data, dict):
        return "stream"
    if "id" in obj and ("text" in obj or "note_tweet" in obj):
        return "post"
    if "data" not in obj and ("meta" in obj or "errors" in obj):
        return "empty"
    return "unknown"


def retrieved_at(obj: Any) -> datetime | None:
    """When twarc fetched this line (``__twarc.retrieved_at``), if it says so readably."""
    retrieved = _dict(obj.get("__twarc")).get("retrieved_at") if isinstance(obj, dict) else None
    if isinstance(retrieved, str):
        try:
            return parse_api_time(retrieved)
        except ValueError:
            return None
    return None


def normalize(obj: Any, repeated: Callable[[str, Any], bool] | None = None) -> Batch:
    """One line of a twarc2 file, or one API response, as a batch of records.

    ``repeated(kind, item)`` (kind "post" or "user") may say that an expansion — a context post or an
    author profile from ``includes`` — is an exact copy of one already handed on, so it is left out."""
    shape = shape_of(obj)
    batch = Batch()
    if shape == "unknown":
        raise RecordError("not an X API v2 response page, stream message or post")
    batch.retrieved_at = retrieved_at(obj)
    batch.api_errors = [e for e in _list(obj.get("errors")) if isinstance(e, dict)]
    if shape == "post":
        _add_flattened(batch, obj, repeated)
        return batch

    data = obj["data"] if shape == "page" else ([obj["data"]] if shape == "stream" else [])
    includes = _dict(obj.get("includes"))
    for index, tweet in enumerate(data):
        where = f"data[{index}]" if shape == "page" else "data"
        _add(batch, lambda t: normalise_post(t, collected=True), tweet, where, batch.posts)
    for index, tweet in enumerate(_list(includes.get("tweets"))):
        if repeated is not None and repeated("post", tweet):
            continue
        _add(batch, lambda t: normalise_post(t, collected=False), tweet, f"includes.tweets[{index}]", batch.posts)
    for index, user in enumerate(_list(includes.get("users"))):
        if repeated is not None and repeated("user", user):
            continue
        _add(batch, normalise_user, user, f"includes.users[{index}]", batch.users)
    meta = _dict(obj.get("meta"))
    batch.newest_id = meta.get("newest_id") if isinstance(meta.get("newest_id"), str) else None
    batch.next_token = meta.get("next_token") if isinstance(meta.get("next_token"), str) else None
    return batch


def _add_flattened(batch: Batch, obj: dict, repeated: Callable[[str, Any], bool] | None = None) -> None:
    """``twarc2 flatten`` output: expansions sit inline in the post."""
    _add(batch, lambda t: normalise_post(t, collected=True), obj, "", batch.posts)
    if isinstance(obj.get("author"), dict) and not (repeated and repeated("user", obj["author"])):
        _add(batch, normalise_user, obj["author"], "author", batch.users)
    for index, ref in enumerate(_list(obj.get("referenced_tweets"))):
        if isinstance(ref, dict) and ("text" in ref or "note_tweet" in ref):
            if not (repeated and repeated("post", ref)):
                _add(
                    batch, lambda t: normalise_post(t, collected=False), ref, f"referenced_tweets[{index}]", batch.posts
                )
            if isinstance(ref.get("author"), dict) and not (repeated and repeated("user", ref["author"])):
                _add(batch, normalise_user, ref["author"], f"referenced_tweets[{index}].author", batch.users)
