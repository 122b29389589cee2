"""Mastodon REST JSON → plain records, ready to store. No database here.

Takes what the API gives (``GET /api/v1/timelines/tag/:tag`` pages, single statuses) and the
recorded ``*.bodies.json`` responses (``{method, uri, status, link, recorded_at, body}``):
``normalise_page``, ``normalise_status``, ``normalise_account``, ``normalise_response``; for
``ingest import``, ``normalise``, which also tells the instance that served a file's statuses
(``serving_instance``) and links replies across its lines.

One row per post across instances, whichever instance served it:

- a post is keyed on the status ``uri`` (its ActivityPub id), never the ``id``: ids are local to the
  instance that gives them; an author on the account ``uri`` (``acct`` differs per instance). An
  account without ``uri`` (servers before 4.2) is keyed on the actor its status ``uri`` names
  (Mastodon's ``…/users/<name>/statuses/<id>``), else on its ``url``;
- an edited status's version is its ``edited_at`` (else ``created_at``) in microseconds since the
  epoch, written as digits in ``current_id``: the store takes a version whose number is larger as
  newer (``store.newer``), so the newest edit wins whichever instance reported it;
- a Bridgy Fed copy of a Bluesky post (``https://bsky.brid.gy/convert/ap/at://…``, or an account on
  bsky.brid.gy) is that Bluesky post: platform "bluesky", the at:// URI, the author's DID, no counts
  (an instance's counts of a bridged copy are not Bluesky's) and no profile (the bridge's note is
  not the person's bio); its handle is given by ``Batch.renamed``.

Kinds: a reblog is a repost (its wrapper's ``uri``, by the reblogger) of the reblogged status,
which goes in as context; a reply (``in_reply_to_id``) names its parent's URI and author here only
when the parent is in the same page (ids are local: a parent elsewhere is resolved through the
instance that served it, threads.py, never guessed); a quote (4.4+ ``quote`` accepted, its ``quoted_status`` as context, or
a ``quoted_status_id`` found in the page). A reply that also quotes is a reply first, as on X.

A status whose ``visibility`` is not public or unlisted should never reach a collector: it is
rejected with that reason and kept aside as its uri and visibility only, never its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from engagement.collection.mastodon.plaintext import plain, render, to_text
from engagement.collection.mastodon.threads import Threads, quote_of
from engagement.collection.records import Batch, PostRecord, RecordError, Rejection, UserRecord, count, count_or_none
from engagement.storage.models import PostKind

PLATFORM = "mastodon"
BLUESKY = "bluesky"
__all__ = [
    "PLATFORM",
    "absolute_acct",
    "bridged_uri",
    "normalise_account",
    "normalise_page",
    "normalise_response",
    "normalise_status",
    "shape_of",
    "version_of",
]

SHOWN = frozenset({"public", "unlisted"})  # what a hashtag timeline gives anyone
BRIDGE_HOST = "bsky.brid.gy"  # Bridgy Fed's Bluesky side
BRIDGED_URI = "https://bsky.brid.gy/convert/ap/"
# The web address Bridgy Fed gives a bridged post: .../r/https://bsky.app/profile/<did or handle>/post/<rkey>
BRIDGED_URL = re.compile(r"https://bsky\.brid\.gy/r/https://bsky\.app/profile/([^/\s]+)/post/([A-Za-z0-9._~:-]{1,512})")
BRIDGED_ACTOR = "https://bsky.brid.gy/ap/"
DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._-]")
AT_URI = re.compile(r"at://([^/\s]+)/(app\.bsky\.feed\.(?:post|repost))/([A-Za-z0-9._~:-]{1,512})")
# Mastodon's own status ids name their actor: <actor>/statuses/<id>, a reblog's <…>/activity.
MASTODON_STATUS = re.compile(r"(https?://[^/\s]+/(?:ap/)?users/[^/\s]+)/statuses/[^/\s]+(?:/activity)?")
MAX_URI = 2048
MAX_DEPTH = 3  # a quote of a quote of a quote: deeper ones are not followed
# A status edit (GET /api/v1/statuses/:id/history) has these, but no uri and no id.
EDIT_KEYS = frozenset({"content", "created_at", "account"})


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# The host of an ASCII http(s) address whose authority is a bare host (no user, port or IPv6
# literal): what urlsplit(url).hostname says of it, in a ninth of the time (100,000 distinct
# status addresses: 0.73 s → 0.08 s of CPU). ``_host`` is asked ≈ 100,000 times per 50,000 demo
# posts: every status's uri, its account's, its mentions'.
_PLAIN_HOST = re.compile(r"https?://([^/?#@\[\]:\\\t\r\n]*)(?:[/?#]|\Z)")


def _host(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    if url.isascii() and (plain := _PLAIN_HOST.match(url)):
        return plain[1].lower() or None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def _web_uri(value: Any) -> str | None:
    """An http(s) address as ids and profile addresses are, or None."""
    if isinstance(value, str) and 0 < len(value) <= MAX_URI and value.startswith(("https://", "http://")):
        return value if _host(value) else None
    return None


def _instant(value: Any) -> datetime | None:
    """An aware UTC time from the API's ISO 8601 strings, or None when unusable (no zone: guessing
    UTC could move a post by hours)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def version_of(created_at: datetime, edited_at: datetime | None) -> str:
    """A status version's number: its last edit (or creation) in microseconds since the epoch."""
    moment = max(created_at, edited_at) if edited_at else created_at
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return str(max(0, (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds))


def absolute_acct(acct: Any, url: Any) -> str | None:
    """``user@host`` for an ``acct`` as an instance writes it: its own users without '@host', which
    comes from the profile ``url``. None when it cannot be told."""
    if not isinstance(acct, str) or not acct.strip().lstrip("@"):
        return None
    acct = acct.strip().lstrip("@")
    user, _, host = acct.partition("@")
    host = host or _host(url) or ""
    return f"{user}@{host.lower()}" if user and host and "@" not in host else None


# --- Bridgy Fed


def _at_uri(value: Any) -> tuple[str, str, str] | None:
    match = AT_URI.fullmatch(value) if isinstance(value, str) and len(value) <= MAX_URI else None
    return (match[1], match[2], match[3]) if match else None


def _bridged_account(account: dict) -> bool:
    acct = _str(account.get("acct")) or ""
    return acct.lower().endswith("@" + BRIDGE_HOST) or _host(account.get("uri")) == BRIDGE_HOST


def bridged_uri(status: Any) -> str | None:
    """The at:// URI of the Bluesky post (or repost) a Bridgy Fed copy stands for, its authority a
    DID; None for a status that is not one. A copy whose URI cannot be read is a ``RecordError``:
    stored as a Mastodon post, it would count one post on two networks."""
    status = _dict(status)
    uri, url, account = status.get("uri"), status.get("url"), _dict(status.get("account"))
    target = uri.removeprefix(BRIDGED_URI) if isinstance(uri, str) and uri.startswith(BRIDGED_URI) else None
    link = BRIDGED_URL.fullmatch(url) if isinstance(url, str) and len(url) <= MAX_URI else None
    if target is None and link is None and not _bridged_account(account):
        return None
    parts = _at_uri(target)
    if parts is not None:
        authority, collection, key = parts
    elif link is not None:
        authority, collection, key = link[1], "app.bsky.feed.post", link[2]
    else:
        raise RecordError(f"a Bridgy Fed copy of a Bluesky post whose at:// URI cannot be read: {uri!r:.100}")
    # A handle there (the web address names the profile either way): the bridge's actor id has the DID.
    did = authority if DID.fullmatch(authority) else _bridged_did(account)
    if did is None:
        raise RecordError(f"a Bridgy Fed copy whose author's DID cannot be read: {uri!r:.100}")
    return f"at://{did}/{collection}/{key}"


def _bridged_did(account: dict) -> str | None:
    actor = _str(account.get("uri")) or ""
    did = actor.removeprefix(BRIDGED_ACTOR) if actor.startswith(BRIDGED_ACTOR) else ""
    return did if DID.fullmatch(did) else None


# --- accounts


def _account_key(account: dict, status_uri: str | None) -> str:
    """The account's ActivityPub id: ``uri``; before 4.2 the actor its status's Mastodon-style uri
    names, when on the host of the account's profile; else the profile ``url``."""
    key = _web_uri(account.get("uri"))
    if key:
        return key
    url = _web_uri(account.get("url"))
    match = MASTODON_STATUS.fullmatch(status_uri) if status_uri else None
    if match and url and _host(match[1]) == _host(url):
        return match[1]
    if url:
        return url
    raise RecordError(f"account without a uri or url: {account.get('acct')!r:.60}")


def normalise_account(account: Any, status_uri: str | None = None) -> UserRecord:
    """A Mastodon account as an author, keyed on its ``uri`` (see ``_account_key``; ``status_uri``
    is the uri of a status it wrote, for servers that give no account uri). The note (HTML) becomes
    text, for classification; the handle is ``user@host``."""
    if not isinstance(account, dict):
        raise RecordError("account is not a JSON object")
    name = _str(account.get("display_name"))
    note = _str(account.get("note"))
    return UserRecord(
        platform_user_id=_account_key(account, status_uri),
        handle=absolute_acct(account.get("acct"), account.get("url")),
        display_name=plain(name) or None if name is not None else None,
        bio=to_text(note) or None if note is not None else None,
        location=None,
        followers=count_or_none(account.get("followers_count")),
        verified=None,  # Mastodon verifies links (fields[].verified_at), not people
        platform=PLATFORM,
    )


# --- statuses


@dataclass
class _Identity:
    """Who and what a status is, as stored: its network, post id and author id."""

    platform: str
    post: str
    author: str


def _identity(status: dict) -> _Identity:
    at_uri = bridged_uri(status)
    if at_uri is not None:
        return _Identity(BLUESKY, at_uri, at_uri.removeprefix("at://").split("/", 1)[0])
    uri = _web_uri(status.get("uri"))
    if uri is None:
        raise RecordError(f"status without a readable uri: {status.get('uri')!r:.80}")
    if not isinstance(status.get("account"), dict):
        raise RecordError(f"status {uri} has no account")
    return _Identity(PLATFORM, uri, _account_key(status["account"], uri))


def _shown(visibility: Any) -> bool:
    return isinstance(visibility, str) and visibility in SHOWN


def _visible(status: dict, uri: str) -> None:
    visibility = status.get("visibility")
    if "visibility" not in status:
        raise RecordError(f"status {uri} says no visibility: it cannot be told public")
    if not _shown(visibility):
        raise RecordError(f"status {uri} is {visibility!r:.20}, not public or unlisted: not for a collector, not kept")


def _hashtags(status: dict) -> list[str]:
    """``tags[]`` names (the server's casing), once per case-folded form."""
    seen: dict[str, str] = {}
    for tag in _list(status.get("tags")):
        name = _str(_dict(tag).get("name"))
        if name and name.strip().lstrip("#"):
            name = name.strip().lstrip("#")
            seen.setdefault(name.casefold(), name)
    return list(seen.values())


def _mentions(status: dict, bridged: bool) -> list[str]:
    """``mentions[]`` as ``user@host``; in a Bluesky post, a bridged account is its Bluesky handle."""
    found: list[str] = []
    for mention in _list(status.get("mentions")):
        mention = _dict(mention)
        acct = absolute_acct(mention.get("acct"), mention.get("url"))
        if acct is None:
            continue
        if bridged and acct.endswith("@" + BRIDGE_HOST):
            acct = acct.removesuffix("@" + BRIDGE_HOST).lower()
        if acct not in found:
            found.append(acct)
    return found


def _urls(links: list, status: dict) -> list[str]:
    """The content's links that are not mentions or hashtags, then the preview card's."""
    tagged = {_str(_dict(item).get("url")) for item in _list(status.get("mentions")) + _list(status.get("tags"))}
    urls = [link.href for link in links if not link.tagged and link.href not in tagged]
    card = _web_uri(_dict(status.get("card")).get("url"))
    if card:
        urls.append(card)
    return list(dict.fromkeys(urls))


class _PageBuilder:
    """A batch being filled from one page, each post and author once (the first copy: a page's own
    statuses come before the context they carry). ``known`` maps the page's local status ids to
    their identities, for replies and shallow quotes."""

    def __init__(self) -> None:
        self.batch = Batch()
        self.posts: dict[tuple[str, str], int] = {}  # (platform, post id) → position in batch.posts
        self.users: set[str] = set()
        self.handles: set[tuple[str, str]] = set()
        self.known: dict[str, _Identity] = {}
        self.parents: dict[str, str] = {}  # local id → its parent's local id

    def learn(self, status: Any, depth: int = 0) -> None:
        """Note a status's local id (and those of the statuses it carries) before reading the page."""
        if not isinstance(status, dict) or depth > MAX_DEPTH:
            return
        local = _str(status.get("id"))
        try:
            identity = _identity(status)
        except RecordError:
            identity = None
        if local and identity and local not in self.known:
            self.known[local] = identity
            parent = _str(status.get("in_reply_to_id"))
            if parent:
                self.parents[local] = parent
        self.learn(status.get("reblog"), depth + 1)
        self.learn(quote_of(status)[0], depth + 1)

    def _root(self, parent: str) -> str | None:
        """The thread's first post as far as the page knows it, from the parent's local id."""
        seen = {parent}
        while (up := self.parents.get(parent)) in self.known and up not in seen:
            parent = up
            seen.add(up)
        root = self.known.get(parent)
        return root.post if root else None

    def add(self, record: PostRecord) -> None:
        key = (record.platform, record.platform_id)
        held = self.posts.get(key)
        if held is None:
            self.posts[key] = len(self.batch.posts)
            self.batch.posts.append(record)
        elif record.collected and not self.batch.posts[held].collected:
            self.batch.posts[held] = record  # carried earlier in the page, returned itself later

    def author(self, account: dict, identity: _Identity, where: str) -> None:
        if identity.platform == BLUESKY:
            # Only the handle: the bridge's profile (its note, no display name) is not the person's.
            handle = _str(account.get("username"))
            if handle and (identity.author, handle.lower()) not in self.handles:
                self.handles.add((identity.author, handle.lower()))
                self.batch.renamed.append((BLUESKY, identity.author, handle.lower()))
            return
        if identity.author in self.users:
            return
        try:
            user = normalise_account(account, identity.post)
        except RecordError as error:
            self.batch.rejected.append(Rejection(where, str(error), account))
            return
        self.users.add(user.platform_user_id)
        self.batch.users.append(user)

    def status(self, status: Any, where: str, *, collected: bool, depth: int = 0) -> PostRecord | None:
        """A status, its author and what it carries (the reblogged status, the quoted one); None when
        it is rejected (the rejection is in the batch)."""
        try:
            if not isinstance(status, dict):
                raise RecordError("status is not a JSON object")
            if depth > MAX_DEPTH:
                raise RecordError(f"statuses nested more than {MAX_DEPTH} deep (a reblog of a reblog of …)")
            identity = _identity(status)
            _visible(status, identity.post)
            inner = status.get("reblog")
            if isinstance(inner, dict):
                record = self.reblog(status, identity, inner, where, collected=collected, depth=depth)
            else:
                record = self.post(status, identity, where, collected=collected, depth=depth)
        except RecordError as error:
            self.batch.rejected.append(Rejection(where, str(error), _kept(status)))
            return None
        self.add(record)
        self.author(_dict(status.get("account")), identity, f"{where}.account")
        return record

    def reblog(
        self, status: dict, identity: _Identity, inner: dict, where: str, *, collected: bool, depth: int
    ) -> PostRecord:
        """A reblog wrapper: a repost row, the reblogged status as context (rejected alone if bad)."""
        created_at = _instant(status.get("created_at"))
        if created_at is None:
            raise RecordError(f"reblog {identity.post} has no readable created_at")
        target = self.status(inner, f"{where}.reblog", collected=False, depth=depth + 1)
        subject = target.platform_id if target else _identity(inner).post
        return PostRecord(
            platform_id=identity.post,
            current_id=identity.post if identity.platform == BLUESKY else version_of(created_at, None),
            author_platform_id=identity.author,
            created_at=created_at,
            text="",
            language=None,
            kind=PostKind.retweet,
            referenced=[{"type": "retweeted", "id": subject}],
            referenced_platform_id=subject,
            in_reply_to_user_id=None,
            conversation_id=identity.post,
            hashtags=[],
            mentions=[],
            urls=[],
            media_count=0,
            retweets=0,
            replies=0,
            likes=0,
            quotes=0,
            impressions=None,
            collected=collected,
            raw=status,
            platform=identity.platform,
            metrics_known=identity.platform == PLATFORM,
        )

    def post(self, status: dict, identity: _Identity, where: str, *, collected: bool, depth: int) -> PostRecord:
        uri = identity.post
        created_at = _instant(status.get("created_at"))
        if created_at is None:
            raise RecordError(f"status {uri} has no readable created_at ({status.get('created_at')!r:.40})")
        content = status.get("content")
        if not isinstance(content, str):
            raise RecordError(f"status {uri} has no content")
        rendered = render(content)
        references: list[dict[str, str]] = []
        reply_to = _str(status.get("in_reply_to_id"))
        parent = self.known.get(reply_to) if reply_to else None
        if parent:
            references.append({"type": "replied_to", "id": parent.post})
        quoted, quoted_id = quote_of(status)
        quoted_post = None
        if quoted is not None and depth < MAX_DEPTH:
            target = self.status(quoted, f"{where}.quote.quoted_status", collected=False, depth=depth + 1)
            quoted_post = target.platform_id if target else None
        elif quoted_id in self.known:
            quoted_post = self.known[quoted_id].post
        if quoted_post:
            references.append({"type": "quoted", "id": quoted_post})
        is_quote = quoted is not None or quoted_id is not None
        kind = PostKind.reply if reply_to else PostKind.quote if is_quote else PostKind.original
        wanted = "replied_to" if kind == PostKind.reply else "quoted"
        referenced = next((r["id"] for r in references if r["type"] == wanted), None)
        replied_user = parent.author if parent else None
        own_id = _dict(status.get("account")).get("id")
        if reply_to and replied_user is None and own_id and status.get("in_reply_to_account_id") == own_id:
            replied_user = identity.author  # a thread of the author's own
        bridged = identity.platform == BLUESKY
        spoiler = _str(status.get("spoiler_text"))
        return PostRecord(
            platform_id=uri,
            current_id=uri if bridged else version_of(created_at, _instant(status.get("edited_at"))),
            author_platform_id=identity.author,
            created_at=created_at,
            text=rendered.text,
            language=_str(status.get("language")) or None,
            kind=kind,
            referenced=references,
            referenced_platform_id=referenced,
            in_reply_to_user_id=replied_user,
            conversation_id=(self._root(reply_to) if reply_to else uri),
            hashtags=_hashtags(status),
            mentions=_mentions(status, bridged),
            urls=_urls(rendered.links, status),
            media_count=sum(isinstance(m, dict) for m in _list(status.get("media_attachments"))),
            retweets=count(status, "reblogs_count"),
            replies=count(status, "replies_count"),
            likes=count(status, "favourites_count"),
            quotes=count(status, "quotes_count"),
            impressions=None,
            collected=collected,
            raw=status,
            platform=identity.platform,
            metrics_known=not bridged,
            content_warning=plain(spoiler) or None if spoiler else None,
        )


def _kept(status: Any) -> Any:
    """What a rejection keeps of a status: all of it, but of one not meant for the public only
    where it was and what it was."""
    if isinstance(status, dict) and "visibility" in status and not _shown(status["visibility"]):
        return {key: status.get(key) for key in ("id", "uri", "visibility")}
    return status


def _statuses(builder: _PageBuilder, statuses: list, where: str) -> None:
    for status in statuses:
        builder.learn(status)
    for index, status in enumerate(statuses):
        if shape_of(status) == "edit":
            builder.batch.rejected.append(Rejection(f"{where}[{index}]", EDIT_REASON, status))
        else:
            builder.status(status, f"{where}[{index}]", collected=True)


EDIT_REASON = (
    "a version from a status's edit history: it names no status uri, and the status itself carries its newest version"
)


def normalise_status(status: Any, *, collected: bool = True) -> Batch:
    """One status (a post or a reblog wrapper) with the statuses it carries and their authors."""
    builder = _PageBuilder()
    builder.learn(status)
    builder.status(status, "", collected=collected)
    return builder.batch


def normalise_page(statuses: Any) -> Batch:
    """A list of statuses (a timeline page): replies resolved within it."""
    if not isinstance(statuses, list):
        raise RecordError("a Mastodon page is a list of statuses")
    builder = _PageBuilder()
    _statuses(builder, statuses, "")
    return builder.batch


def _recorded_at(value: Any) -> datetime | None:
    """A recording's time: ``2022-11-09 09:21:10 GMT`` (vcr), or ISO 8601."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S GMT").replace(tzinfo=UTC)
    except ValueError:
        return _instant(value)


def normalise_response(response: Any, where: str = "") -> Batch:
    """One recorded response (``{method, uri, status, body, recorded_at}``): its statuses stored;
    a DELETE of a status is that post deleted; an error status is an API error (logged, no post);
    an instance description is passed over; any other body is rejected, saying what it is."""
    if not isinstance(response, dict):
        raise RecordError("a recorded response is not a JSON object")
    method, code, body = _str(response.get("method")) or "GET", response.get("status"), response.get("body")
    request = _str(response.get("uri")) or "?"
    prefix = f"{where}body" if not where else f"{where}.body"
    if type(code) is int and not 200 <= code < 300:
        detail = _str(_dict(body).get("error")) or _str(body) or ""
        batch = Batch(api_errors=[{"title": f"HTTP {code} from {method} {request}", "detail": detail}])
        return batch
    path = urlsplit(request).path if request != "?" else ""
    builder = _PageBuilder()
    if method.upper() == "DELETE" and shape_of(body) == "status":
        try:
            identity = _identity(_dict(body))
            builder.batch.deleted.append((identity.platform, identity.post))
        except RecordError as error:
            builder.batch.rejected.append(Rejection(prefix, str(error), body))
    elif shape_of(body) == "status":
        builder.learn(body)
        builder.status(body, prefix, collected=True)
    elif isinstance(body, list) and all(shape_of(item) in ("status", "edit") for item in body):
        _statuses(builder, body, prefix)
    elif re.fullmatch(r"/api/v[12]/instance/?", path) or _is_instance(body):
        pass  # the server's description: no posts
    else:
        builder.batch.rejected.append(
            Rejection(prefix, f"the response to {method} {request:.100} holds no statuses", body)
        )
    builder.batch.retrieved_at = _recorded_at(response.get("recorded_at"))
    return builder.batch


def _is_instance(body: Any) -> bool:
    return isinstance(body, dict) and ("domain" in body or "uri" in body) and "configuration" in body


def shape_of(obj: Any) -> str:
    """'status' (a status or reblog wrapper), 'edit' (an edit-history version), 'page' (a non-empty
    list of statuses), 'response' (a recorded response), 'responses' (a list of them) or 'unknown'."""
    if isinstance(obj, list):
        if obj and all(shape_of(item) in ("status", "edit") for item in obj):
            return "page" if any(shape_of(item) == "status" for item in obj) else "unknown"
        if obj and all(shape_of(item) == "response" for item in obj):
            return "responses"
        return "unknown"
    if not isinstance(obj, dict):
        return "unknown"
    if isinstance(obj.get("account"), dict) and "uri" in obj and "created_at" in obj and "record" not in obj:
        return "status"
    if isinstance(obj.get("method"), str) and "body" in obj and "status" in obj:
        return "response"
    if obj.keys() >= EDIT_KEYS and "uri" not in obj and "id" not in obj:
        return "edit"
    return "unknown"


# --- the instance that served a file's statuses (``ingest import``)


def _local_host(status: Any, depth: int = 0) -> str | None:
    """The host of the instance that served ``status``, where the status says: an account of that
    instance is written without '@host' (the status's author, a mention, a reblogged status's),
    and its uri's host is the instance's domain."""
    if not isinstance(status, dict) or depth > MAX_DEPTH:
        return None
    account = _dict(status.get("account"))
    acct = _str(account.get("acct"))
    if acct and "@" not in acct.strip().lstrip("@") and not _bridged_account(account):
        host = _host(account.get("uri")) or _host(status.get("uri")) or _host(account.get("url"))
        if host:
            return host
    for mention in _list(status.get("mentions")):
        mention = _dict(mention)
        acct = _str(mention.get("acct"))
        if acct and "@" not in acct.strip().lstrip("@") and _host(mention.get("url")):
            return _host(mention.get("url"))
    return _local_host(status.get("reblog"), depth + 1) or _local_host(quote_of(status)[0], depth + 1)


def serving_instance(obj: Any) -> str | None:
    """The instance whose local ids and counts a file's statuses carry: from the statuses
    themselves (``_local_host``), else a recorded response's request address; None when nothing
    tells (statuses of remote accounts only, with no local mention): then their counts replace
    the stored ones as any reading does, and replies link within the page only."""
    if isinstance(obj, dict) and shape_of(obj) == "response":
        body = obj.get("body")
        return serving_instance(body) or _host(obj.get("uri"))
    for status in obj if isinstance(obj, list) else [obj]:
        found = serving_instance(status) if shape_of(status) == "response" else _local_host(status)
        if found:
            return found
    return None


# The import's memory of local ids (threads.py), for the statuses of one process: a reply in one
# line of a file names its parent in another.
IMPORTED = Threads()


def normalise(obj: Any, instance: str | None = None) -> Batch:
    """Anything ``shape_of`` tells: a status, a page, a recorded response or a list of them, as read
    on ``instance`` (the host of the instance that served it; else told from ``serving_instance``,
    for each recorded response on its own): each post says so, so its counts are taken as a poll's
    are, and its reply to a parent read in another line of the file (or an earlier file of the same
    instance) is linked (threads.py)."""
    shape = shape_of(obj)
    if shape == "responses":
        batch = Batch()
        for index, response in enumerate(obj):
            part = _on_instance(normalise_response(response, f"[{index}]"), response, instance)
            batch.posts += part.posts
            batch.users += part.users
            batch.rejected += part.rejected
            batch.api_errors += part.api_errors
            batch.deleted += part.deleted
            batch.renamed += part.renamed
            batch.retrieved_at = batch.retrieved_at or part.retrieved_at
        return batch
    if shape == "status":
        batch = normalise_status(obj)
    elif shape == "page":
        batch = normalise_page(obj)
    elif shape == "response":
        batch = normalise_response(obj)
    elif shape == "edit":
        raise RecordError(EDIT_REASON)
    else:
        raise RecordError("not a Mastodon status, page or recorded response")
    return _on_instance(batch, obj, instance)


def _on_instance(batch: Batch, obj: Any, instance: str | None) -> Batch:
    instance = (instance or serving_instance(obj) or "").lower() or None
    if instance is not None:
        for post in batch.posts:
            if post.platform == PLATFORM:
                post.instance = instance
        IMPORTED.resolve(batch, instance)
    return batch
