"""Mastodon's own shapes for the demo collection: local status ids, the HTML of a status's
``content``, statuses and accounts as ``GET /api/v1/timelines/tag/:tag`` returns them, and the
recorded-response lines (``{method, uri, status, link, recorded_at, body}``, as
tests/data/mastodon's ``*.bodies.json`` hold them) the importer reads.

Nothing here plans anything: the generator decides who posts what, where and when, and these
functions write it as an instance would serve it. The instances are visibly made up (hosts under
``.example``, reserved for documentation) and so are the accounts (usernames start ``demo_``).

As on a real instance, a status's id is local: the instance numbers it from its ``created_at`` in
milliseconds shifted 16 bits, plus low bits of its own (Mastodon's ``Mastodon::Snowflake``), so the
same post has another id on each instance that holds it, while its ``uri`` (written by its origin)
is the same everywhere. An account is ``acct`` = ``username`` on its own instance and
``username@domain`` on the others.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import quote

from engagement.timeutil import UTC

# Mastodon's default limit for a status's text (MAX_CHARS): the demo's long posts are cut to it.
TEXT_LIMIT = 500
PAGE_SIZE = 40  # the hashtag timeline's largest page
HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
# A mention in the planned text: @user or @user@domain, as a Mastodon composer writes it.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]+)(?:@([a-z0-9.-]+[a-z0-9]))?")
VERSION = "4.4.0"  # the instances say they are 4.4 (quotes): shapes as that version writes them


def local_id(created_ms: int, instance: str, salt: str) -> int:
    """A status's id on ``instance``: its creation in ms << 16, and 16 low bits of the instance's own
    (a post federated late is numbered by its creation, not its arrival, as Mastodon does)."""
    low = int.from_bytes(hashlib.blake2b(f"{instance}/{salt}".encode(), digest_size=2).digest(), "big")
    return (created_ms << 16) | low


def api_time(ms: int) -> str:
    """``created_at`` as Mastodon writes it: UTC, milliseconds, 'Z'."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def fit(text: str, limit: int = TEXT_LIMIT) -> str:
    """A text cut to ``limit`` at a space, with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def acct(username: str, home: str, shown_on: str) -> str:
    """How ``shown_on`` writes the account: without its domain when it is its own."""
    return username if home == shown_on else f"{username}@{home}"


def profile_url(username: str, home: str) -> str:
    return f"https://{home}/@{username}"


def account_uri(username: str, home: str) -> str:
    return f"https://{home}/users/{username}"


def content(text: str, instance: str, homes: Mapping[str, str]) -> tuple[str, list[dict], list[dict]]:
    """The status's HTML as Mastodon renders the text on ``instance``: one paragraph, entities
    escaped, each hashtag a ``mention hashtag`` link, each mention of a known account (``homes``:
    username → its instance) an ``h-card`` link showing only ``@username``. Returns the HTML, the
    ``tags`` and the ``mentions`` entries."""
    pieces: list[str] = []
    tags: dict[str, dict] = {}
    mentions: dict[str, dict] = {}
    position = 0
    found = sorted(
        [(m.start(), m.end(), "tag", m) for m in HASHTAG.finditer(text)]
        + [(m.start(), m.end(), "mention", m) for m in MENTION.finditer(text) if m[1] in homes]
    )
    for start, end, kind, match in found:
        if start < position:
            continue
        pieces.append(html.escape(text[position:start], quote=False))
        if kind == "tag":
            name = match[1]
            href = f"https://{instance}/tags/{quote(name.lower())}"
            pieces.append(f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{html.escape(name)}</span></a>')
            tags.setdefault(name.lower(), {"name": name.lower(), "url": href})
        else:
            username = match[1]
            home = homes[username]
            url = profile_url(username, home)
            pieces.append(
                f'<span class="h-card" translate="no"><a href="{url}" class="u-url mention">'
                f"@<span>{html.escape(username)}</span></a></span>"
            )
            mentions.setdefault(
                username,
                {"id": str(_account_id(username, home, instance)), "username": username, "url": url}
                | {"acct": acct(username, home, instance)},
            )
        position = end
    pieces.append(html.escape(text[position:], quote=False))
    return "<p>" + "".join(pieces) + "</p>", list(tags.values()), list(mentions.values())


def _account_id(username: str, home: str, instance: str) -> int:
    """The account's id on ``instance`` (local too, as status ids are)."""
    digest = hashlib.blake2b(f"{instance}/{home}/{username}".encode(), digest_size=6).digest()
    return 109_000_000_000_000_000 + int.from_bytes(digest, "big") % 10**15


def account(username: str, home: str, instance: str, name: str, bio: str, followers: int, created_ms: int) -> dict:
    """The account as ``instance`` shows it beside a status (avatars on no real host: left empty)."""
    return {
        "id": str(_account_id(username, home, instance)),
        "username": username,
        "acct": acct(username, home, instance),
        "display_name": name,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": api_time(created_ms - created_ms % 86_400_000),
        "note": f"<p>{html.escape(bio, quote=False)}</p>",
        "url": profile_url(username, home),
        "uri": account_uri(username, home),
        "avatar": "",
        "avatar_static": "",
        "header": "",
        "header_static": "",
        "followers_count": followers,
        "following_count": followers // 3 + 20,
        "statuses_count": followers // 2 + 40,
        "last_status_at": None,
        "emojis": [],
        "fields": [],
    }


def status(
    *,
    local: int,
    uri: str,
    url: str,
    created_ms: int,
    language: str,
    html_content: str,
    author: dict,
    tags: Sequence[dict],
    mentions: Sequence[dict],
    counts: tuple[int, int, int, int],
    spoiler_text: str = "",
    edited_ms: int | None = None,
    in_reply_to: tuple[str, str] | None = None,
    quote: dict | None = None,
) -> dict:
    """A status as an instance serves it; ``counts`` are replies, reblogs, favourites and quotes;
    ``in_reply_to`` the parent's (local id, its author's local account id)."""
    replies, reblogs, favourites, quotes = counts
    body: dict = {
        "id": str(local),
        "created_at": api_time(created_ms),
        "in_reply_to_id": in_reply_to[0] if in_reply_to else None,
        "in_reply_to_account_id": in_reply_to[1] if in_reply_to else None,
        "sensitive": bool(spoiler_text),
        "spoiler_text": spoiler_text,
        "visibility": "public",
        "language": language,
        "uri": uri,
        "url": url,
        "replies_count": replies,
        "reblogs_count": reblogs,
        "favourites_count": favourites,
        "quotes_count": quotes,
        "edited_at": api_time(edited_ms) if edited_ms is not None else None,
        "content": html_content,
        "reblog": None,
        "account": author,
        "media_attachments": [],
        "mentions": list(mentions),
        "tags": list(tags),
        "emojis": [],
        "card": None,
        "poll": None,
    }
    if quote is not None:
        body["quote"] = quote
    return body


def accepted_quote(quoted: dict) -> dict:
    """A 4.4 quote its author accepted, carrying the quoted status."""
    return {"state": "accepted", "quoted_status": quoted}


def deleted_quote() -> dict:
    """A quote whose quoted post is gone: the state says so, nothing is carried."""
    return {"state": "deleted", "quoted_status": None}


def timeline_response(
    instance: str, tags: Sequence[str], body: list[dict], max_id: str | None, recorded_at: datetime
) -> dict:
    """One page of ``/api/v1/timelines/tag/:tag`` (the first tag in the path, the others in
    ``any[]``) as a recorded response, with the ``Link`` header Mastodon writes."""
    first, *others = [tag.lstrip("#").lower() for tag in tags]
    base = f"https://{instance}/api/v1/timelines/tag/{quote(first)}"
    query = f"limit={PAGE_SIZE}" + "".join(f"&any[]={quote(tag)}" for tag in others)
    uri = f"{base}?{query}" + (f"&max_id={max_id}" if max_id else "")
    link = None
    if body:
        link = (
            f'<{base}?limit={PAGE_SIZE}&max_id={body[-1]["id"]}>; rel="next", '
            f'<{base}?limit={PAGE_SIZE}&min_id={body[0]["id"]}>; rel="prev"'
        )
    return {
        "method": "GET",
        "uri": uri,
        "status": 200,
        "link": link,
        "recorded_at": recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S GMT"),
        "body": body,
    }
