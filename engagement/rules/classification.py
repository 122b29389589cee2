# mypy: disable-error-code="call-overload"
# (for SQLModel column expressions: select() of model attributes typed as their Python values)
"""Which stakeholder group an author speaks for, and how we know.

Order: a moderator's override > the directory of known accounts > keyword rules > unclassified
("public"). Everything is per network: an author is one account on one network (overrides sit on
that author row), and a directory row names an account on the network its ``match`` has the shape
of (as ``event.toml``'s accounts do): ``osce_cthb`` on X, ``osce.org`` (a domain) on Bluesky,
``user@host`` on Mastodon; a row's ``user_id`` (X's numeric id, a Bluesky DID, a Mastodon account
URI) is looked up on that network only. A Bluesky row that is a domain of its own (not a handle on a
shared host such as ``*.bsky.social``) also names every handle under it: only whoever holds the
domain ``unodc.org`` can give an account the handle ``unodc.org`` or ``vienna.unodc.org`` (Bluesky
checks it in the domain's DNS), so such a handle is the organisation's. Keyword rules are tried on the display name first, then on the bio, each in file
order; the first match wins. A keyword written as an acronym (upper-case letters, e.g. "IOM",
"NGO") must match as a whole word with its case, so "IOM" never matches "biomedical"; any other
keyword matches, ignoring case, at the start of a word, so "профсоюз" also finds "профсоюза"
and "Gewerkschaft" finds "Gewerkschaftsbund".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import select, update
from sqlmodel import Session, col

from engagement.storage import db
from engagement.storage.models import Author, ClassificationRule, DirectoryEntry, GroupSource
from engagement.timeutil import utcnow

UNCLASSIFIED_GROUP = "public"
ACRONYM = re.compile(r"^[A-ZА-ЯЁІЇЄ]{2,8}$")
# Bluesky hosts that hand out handles under their own domain to anyone (the PDS's default, Bridgy
# Fed's bridged accounts): a row on one of them names that one handle, never the handles under it.
SHARED_HOSTS = ("bsky.social", "brid.gy")


def network_of(handle: str | None, user_id: str | None = None) -> str:
    """The network an account is on, from its shape: "mastodon" for ``user@host`` (or an https://
    account URI), "bluesky" for a domain (or a DID), else "x" (as ``event.account_network``)."""
    if handle:
        text = handle.strip().lstrip("@")
        if "@" in text:
            return "mastodon"
        return "bluesky" if "." in text else "x"
    if user_id and user_id.startswith("did:"):
        return "bluesky"
    if user_id and user_id.startswith(("https://", "http://")):
        return "mastodon"
    return "x"


def _handle_key(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def _own_domain(handle: str) -> bool:
    """Whether a Bluesky handle is a domain of its own, not one handed out on a shared host."""
    return not any(handle == host or handle.endswith("." + host) for host in SHARED_HOSTS)


class Classification(NamedTuple):
    group_key: str
    source: str
    organisation: str | None = None


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    escaped = re.escape(keyword.strip())
    if ACRONYM.match(keyword.strip()):
        return re.compile(rf"(?<!\w){escaped}(?!\w)")
    return re.compile(rf"(?<!\w){escaped}", re.IGNORECASE)


# The only characters beyond ASCII that re's case-insensitive matching takes for ASCII letters
# ("İ" and "ı" for i, "ſ" for s, the Kelvin sign for k: found by trying every character), as the
# ASCII letter: in a text so folded and lowered, an ASCII keyword that matches is found as it is.
_RE_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _folded(text: str) -> str:
    """``text`` as an ASCII keyword's needle is looked for in it (``_needle``)."""
    return text.lower() if text.isascii() else text.translate(_RE_FOLDS).lower()


def _needle(keyword: str) -> tuple[str, bool] | None:
    """What a text must contain for ``keyword_pattern(keyword)`` to match it: (the keyword, True) as
    written in the text for an acronym, (it in lower case, False) in the ``_folded`` text for any
    other ASCII keyword; None where no such test is exact (a keyword beyond ASCII: re's matching
    knows case pairs that lower() does not)."""
    keyword = keyword.strip()
    if ACRONYM.match(keyword):
        return keyword, True
    return (keyword.lower(), False) if keyword.isascii() else None


class Rule:
    """A keyword rule: its group, the text its pattern needs (``_needle``), and the pattern, compiled
    when first run. Many are never run in a process, the needle passing the text over: building
    the demo's classifier took 0.06–0.10 s of every import's start with its 369 patterns compiled
    up front, 0.04 s without."""

    def __init__(self, keyword: str, group_key: str):
        self.keyword, self.group_key, self.needle = keyword, group_key, _needle(keyword)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return keyword_pattern(self.keyword)


class Classifier:
    """Holds the directory and rules in memory; ``classify`` is pure and cheap."""

    def __init__(
        self,
        directory: Iterable[tuple[str, str, str, str | None]] = (),
        keywords: Iterable[tuple[str, str]] = (),
    ):
        # directory: (handle, organisation, group_key, platform_user_id), each on the network its
        # handle (or, without one, its id) has the shape of.
        self.by_handle: dict[tuple[str, str], tuple[str, str]] = {}
        self.by_user_id: dict[tuple[str, str], tuple[str, str]] = {}
        self._directory = list(directory)
        for handle, organisation, group_key, user_id in self._directory:
            network = network_of(handle, user_id)
            if handle:
                self.by_handle[(network, _handle_key(handle))] = (organisation, group_key)
            if user_id:
                self.by_user_id[(network, user_id)] = (organisation, group_key)
        self.rules = [Rule(keyword, group_key) for keyword, group_key in keywords]
        # Each rule's keyword as its pattern must find it: a text without it cannot match, and is
        # passed over without running the pattern (the demo's 321 rules over the 1,884 authors of
        # 50,000 posts, each classified once by the import's writer: 0.56 s → 0.24 s of CPU; with
        # the texts beyond ASCII tested too, ``_folded``, the rules' regex searches went from 386,000
        # to 214,000 and the 1,884 classifications from 0.29–0.36 s to 0.20 s, load ≈ 3). Exact: an
        # acronym's pattern is case-sensitive; any other ASCII keyword is looked for in lower case in
        # the folded text; a keyword beyond ASCII runs its pattern as before.

    @cached_property
    def organisations(self) -> list[tuple[re.Pattern[str], str, str]]:
        """Organisations the directory names, longest first, so "OSCE ODIHR" wins over "OSCE"
        (only the programme's speakers need them: made when first asked for)."""
        organisations: dict[str, tuple[str, str]] = {}
        for _, organisation, group_key, _ in self._directory:
            if organisation and organisation.casefold() not in organisations:
                organisations[organisation.casefold()] = (organisation, group_key)
        return sorted(
            ((keyword_pattern(name), name, group) for name, group in organisations.values()),
            key=lambda item: -len(item[1]),
        )

    def known(self, network: str, handle: str | None, user_id: str | None) -> tuple[str, str] | None:
        """The directory's (organisation, group) for an account on ``network``: by its id, then its
        handle, then (Bluesky) the nearest domain of its own above its handle."""
        if user_id and (network, user_id) in self.by_user_id:
            return self.by_user_id[(network, user_id)]
        if not handle:
            return None
        key = _handle_key(handle)
        if (network, key) in self.by_handle:
            return self.by_handle[(network, key)]
        if network == "bluesky" and _own_domain(key):
            labels = key.split(".")
            for start in range(1, len(labels) - 1):  # the nearest first; never a bare top-level domain
                domain = ".".join(labels[start:])
                if (network, domain) in self.by_handle and _own_domain(domain):
                    return self.by_handle[(network, domain)]
        return None

    @classmethod
    def from_database(cls, session: Session) -> Classifier:
        entries = session.scalars(select(DirectoryEntry))
        rules = session.scalars(select(ClassificationRule).order_by(col(ClassificationRule.position)))
        return cls(
            ((e.handle, e.organisation, e.group_key, e.platform_user_id) for e in entries),
            ((r.keyword, r.group_key) for r in rules),
        )

    def classify(
        self,
        *,
        handle: str | None,
        platform_user_id: str | None = None,
        display_name: str | None = None,
        bio: str | None = None,
        override_group_key: str | None = None,
        override_organisation: str | None = None,
        platform: str | None = None,
    ) -> Classification:
        """``platform``: the author's network (None: told from the handle's or the id's shape)."""
        known = self.known(platform or network_of(handle, platform_user_id), handle, platform_user_id)
        if override_group_key:
            organisation = override_organisation or (known[0] if known else None)
            return Classification(override_group_key, GroupSource.moderator, organisation)
        if known:
            return Classification(known[1], GroupSource.directory, known[0] or None)
        for text in (display_name, bio):
            if text:
                folded = _folded(text)
                for rule in self.rules:
                    needle = rule.needle
                    if needle is not None and needle[0] not in (text if needle[1] else folded):
                        continue
                    if rule.pattern.search(text):
                        return Classification(rule.group_key, GroupSource.rule, override_organisation)
        return Classification(UNCLASSIFIED_GROUP, GroupSource.unclassified, override_organisation)

    def classify_affiliation(self, affiliation: str | None) -> Classification:
        """A speaker's group from the affiliation the programme gives: an organisation the directory
        names (the longest that appears in it), then the keyword rules, as for an author's bio."""
        if affiliation:
            for pattern, organisation, group_key in self.organisations:
                if pattern.search(affiliation):
                    return Classification(group_key, GroupSource.directory, organisation)
            for rule in self.rules:
                if rule.pattern.search(affiliation):
                    return Classification(rule.group_key, GroupSource.rule, None)
        return Classification(UNCLASSIFIED_GROUP, GroupSource.unclassified, None)

    def classify_author(self, author: Author) -> Classification:
        return self.classify(
            handle=author.handle,
            platform_user_id=author.platform_user_id,
            display_name=author.display_name,
            bio=author.bio,
            override_group_key=author.override_group_key,
            override_organisation=author.override_organisation,
            platform=author.platform,
        )


def reclassify(session: Session, classifier: Classifier | None = None, batch: int = 2000) -> int:
    """Apply the current directory, rules and overrides to every stored author, in the caller's
    transaction; returns how many changed. (At scale, ``reclassify_in_steps``.)

    Posts are not touched: they reach their group through their author, so nothing is re-ingested.
    """
    return _reclassify_after(session, classifier or Classifier.from_database(session), 0, batch=batch)[0]


def reclassify_in_steps(url: str | None = None, seconds: float = db.STEP_SECONDS) -> int:
    """``reclassify`` as a series of short transactions (``db.in_steps``), with the directory and
    rules as they are when it starts."""
    with db.reading(url) as session:
        classifier = Classifier.from_database(session)
    return db.in_steps(
        url, lambda session, after, deadline: _reclassify_after(session, classifier, after, deadline), seconds
    )


def _reclassify_after(
    session: Session, classifier: Classifier, last_id: int, deadline: float | None = None, batch: int = 2000
) -> tuple[int, int | None]:
    """Authors after ``last_id`` until ``deadline`` (``time.monotonic``) passes: how many changed, and
    the last author done (``None``: all are)."""
    db.take_turns_counting(session)
    changed = 0
    columns = (
        Author.id,
        Author.platform,
        Author.handle,
        Author.platform_user_id,
        Author.display_name,
        Author.bio,
        Author.override_group_key,
        Author.override_organisation,
        Author.group_key,
        Author.group_source,
        Author.organisation,
    )
    while True:
        rows = session.execute(select(*columns).where(col(Author.id) > last_id).order_by(Author.id).limit(batch)).all()
        if not rows:
            return changed, None
        for row in rows:
            result = classifier.classify(
                handle=row.handle,
                platform_user_id=row.platform_user_id,
                display_name=row.display_name,
                bio=row.bio,
                override_group_key=row.override_group_key,
                override_organisation=row.override_organisation,
                platform=row.platform,
            )
            if (result.group_key, result.source, result.organisation) != (
                row.group_key,
                row.group_source,
                row.organisation,
            ):
                session.execute(
                    update(Author)
                    .where(Author.id == row.id)
                    .values(
                        group_key=result.group_key,
                        group_source=result.source,
                        organisation=result.organisation,
                        last_updated=utcnow(),
                    )
                )
                changed += 1
            last_id = row.id
            if deadline is not None and time.monotonic() >= deadline:
                return changed, last_id


def set_override(session: Session, author_id: int, group_key: str | None, organisation: str | None = None) -> Author:
    """A moderator's decision for one author (``None`` clears it); takes effect at once."""
    db.take_turns_counting(session)
    author = session.get(Author, author_id)
    if author is None:
        raise LookupError(f"no author with id {author_id}")
    author.override_group_key = group_key
    author.override_organisation = organisation
    result = Classifier.from_database(session).classify_author(author)
    author.group_key, author.group_source, author.organisation = result.group_key, result.source, result.organisation
    author.last_updated = utcnow()
    session.add(author)
    return author
