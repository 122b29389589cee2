"""The organisers' event files in ``data/``: read and checked, with errors that name file and line.

- ``event.toml``: name, hashtags, the organiser's accounts, time zone, dates, languages, attribution grace.
- ``agenda.csv``: one row per session, times in the event's zone.
- ``stakeholder_groups.csv``: the taxonomy.
- ``stakeholder_directory.csv``: known accounts (``kind=account``) and keyword rules (``kind=keyword``).
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engagement import settings
from engagement.analysis.exports import FORMULA_STARTS
from engagement.rules import translations
from engagement.storage.models import SessionKind
from engagement.timeutil import to_utc

SESSION_KINDS = {kind.value for kind in SessionKind}
# "Name (group): affiliation [role]", each part but the name optional.
SPEAKER = re.compile(
    r"^\s*(?P<name>[^()\[\]:]+?)\s*(?:\((?P<group>[a-z_]+)\))?\s*"
    r"(?::\s*(?P<affiliation>[^\[\]]*?))?\s*(?:\[(?P<role>[^\[\]]*)\])?\s*$"
)
# What a speaker is when the agenda names no role (frab persons are all speakers).
DEFAULT_ROLE = "speaker"
# The importer of before wrote a convener as "Name: Affiliation (chair)".
OLD_CHAIR = re.compile(r"^(?:(?P<affiliation>.*?)\s*\(chair\)|chair)$", re.IGNORECASE)
COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
# An account's network follows from its shape: X handles are letters, digits and '_' (at most 15);
# a Bluesky handle is a domain name; a Mastodon account is user@host.
X_HANDLE = re.compile(r"^[a-z0-9_]{1,15}$")
BLUESKY_HANDLE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
MASTODON_ACCOUNT = re.compile(r"^[a-z0-9_.-]+@([a-z0-9-]+\.)+[a-z0-9-]+$")
NETWORKS = ("x", "bluesky", "mastodon")


class EventConfigError(ValueError):
    """An event file that cannot be used as it is; the message says where and why."""


@dataclass(frozen=True)
class EventConfig:
    name: str
    hashtags: list[str]
    time_zone: str
    start_date: date
    end_date: date
    languages: list[str]
    short_name: str = ""
    theme: str = ""
    organiser: str = ""
    venue: str = ""
    accounts: list[str] = field(default_factory=list)
    grace_minutes: int = 10

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)

    def accounts_on(self, network: str) -> list[str]:
        """The event's own accounts on ``network`` ("x", "bluesky", "mastodon"), as ``account_network``
        tells them apart."""
        return [account for account in self.accounts if account_network(account) == network]

    def x_terms(self) -> list[list[str]]:
        """The X search terms, in groups kept in one query: the hashtags one by one, then for each
        account its mentions, the replies to it and its own posts."""
        groups = [[tag] for tag in self.hashtags]
        groups += [[f"@{handle}", f"to:{handle}", f"from:{handle}"] for handle in self.accounts_on("x")]
        return groups

    def x_queries(self, limit: int | None = None) -> list[str]:
        """The X search queries (also the filtered stream's rules) that together collect the event:
        its terms joined with OR, in as few queries of at most ``limit`` characters
        (``X_QUERY_LIMIT``) as they fit. Terms joined with OR alone need no parentheses; a query
        that ever adds an operator (``-is:retweet``) must put the ORs in a group."""
        limit = limit or settings.x_query_limit()
        queries: list[list[str]] = []
        for group in self.x_terms():
            alone = " OR ".join(group)
            if len(alone) > limit:
                raise EventConfigError(f"the search terms {alone!r} alone pass the query limit of {limit} characters")
            if queries and len(" OR ".join(queries[-1] + group)) <= limit:
                queries[-1].extend(group)
            else:
                queries.append(list(group))
        return [" OR ".join(terms) for terms in queries]

    def query(self) -> str:
        """The whole X query in one line, as the report's methods state it (the worker may split it)."""
        return " OR ".join(term for group in self.x_terms() for term in group)


@dataclass(frozen=True)
class AgendaRow:
    key: str
    title: str
    kind: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    room: str = ""
    hashtags: list[str] = field(default_factory=list)
    speakers: list[dict[str, str]] = field(default_factory=list)
    illustrative: bool = False
    source_note: str = ""
    # The title in other languages (title_<lang> columns); None: keep what the database has
    # (the Agenda page's saves, which do not edit them).
    titles: dict[str, str] | None = None


@dataclass(frozen=True)
class GroupRow:
    key: str
    label: str
    description: str
    display_order: int
    colour: str
    labels: dict[str, str] | None = None  # the label_<lang> columns; None: keep the stored ones


@dataclass(frozen=True)
class DirectoryRow:
    handle: str
    organisation: str
    group_key: str
    platform_user_id: str | None = None
    note: str = ""


@dataclass(frozen=True)
class KeywordRow:
    keyword: str
    group_key: str
    language: str = ""
    note: str = ""


def _path(name: str, folder: Path | None) -> Path:
    return (folder or settings.data_dir()) / name


def _rows(path: Path, required: set[str]):
    """(line number, row) pairs of a CSV file, after checking its header."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise EventConfigError(f"{path}: file not found") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise EventConfigError(f"{path}:1: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None}


def _truthy(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "y", "x"}


def normalise_hashtag(tag: str) -> str:
    tag = tag.strip()
    return (tag if tag.startswith("#") else f"#{tag}").lower()


def account_network(account: str) -> str:
    """The network of a normalised account: "mastodon" (user@host), "bluesky" (a domain) or "x"."""
    if "@" in account:
        return "mastodon"
    return "bluesky" if "." in account else "x"


def normalise_account(account: str, where: str) -> str:
    """An account as stored: lower case, without a leading '@' ("@osce_cthb" -> "osce_cthb",
    "@osce@mastodon.social" -> "osce@mastodon.social")."""
    text = account.strip().lstrip("@").lower()
    if not (X_HANDLE.match(text) or BLUESKY_HANDLE.match(text) or MASTODON_ACCOUNT.match(text)):
        raise EventConfigError(
            f"{where}: account {account!r} is not an X handle (letters, digits, '_'; at most 15), "
            "a Bluesky handle (a domain such as osce.bsky.social) or a Mastodon account (user@host)"
        )
    return text


def load_event(folder: Path | None = None) -> EventConfig:
    path = _path("event.toml", folder)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EventConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise EventConfigError(f"{path}: {error}") from None
    for key in ("name", "time_zone", "start_date", "end_date"):
        if key not in raw:
            raise EventConfigError(f"{path}: '{key}' is required")
    try:
        ZoneInfo(raw["time_zone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise EventConfigError(f"{path}: unknown time zone {raw['time_zone']!r}") from None
    hashtags = settings.event_hashtags() or raw.get("hashtags") or []
    if not hashtags:
        raise EventConfigError(f"{path}: 'hashtags' is empty and EVENT_HASHTAGS is not set")
    start, end = raw["start_date"], raw["end_date"]
    if not isinstance(start, date) or not isinstance(end, date) or end < start:
        raise EventConfigError(f"{path}: start_date and end_date must be dates, start first")
    return EventConfig(
        name=raw["name"],
        short_name=raw.get("short_name", ""),
        theme=raw.get("theme", ""),
        organiser=raw.get("organiser", ""),
        venue=raw.get("venue", ""),
        hashtags=[normalise_hashtag(tag) for tag in hashtags],
        accounts=_accounts(raw, path),
        time_zone=raw["time_zone"],
        start_date=start,
        end_date=end,
        languages=list(raw.get("languages", [])),
        grace_minutes=int(raw.get("attribution", {}).get("grace_minutes", 10)),
    )


def _accounts(raw: dict, path: Path) -> list[str]:
    from_env = settings.event_accounts()
    listed = from_env if from_env is not None else raw.get("accounts", [])
    where = "EVENT_ACCOUNTS" if from_env is not None else f"{path}: accounts"
    if not isinstance(listed, list) or not all(isinstance(a, str) for a in listed):
        raise EventConfigError(f"{where}: expected a list of account names")
    accounts: list[str] = []
    for account in listed:
        name = normalise_account(account, where)
        if name not in accounts:
            accounts.append(name)
    return accounts


def translated(row: dict[str, str], prefix: str, where: str) -> dict[str, str]:
    """The ``<prefix>_<lang>`` cells of ``row`` that are filled, by language (``title_fr`` → ``fr``);
    a ``<prefix>_…`` column that names no language is refused (a typo would drop a translation)."""
    found = {}
    for column, value in row.items():
        if not column.startswith(f"{prefix}_"):
            continue
        code = translations.language_key(column[len(prefix) + 1 :])
        if code is None:
            raise EventConfigError(
                f"{where}: column {column!r} is not {prefix}_<language> (a language code such as {prefix}_fr)"
            )
        if value:
            found[code] = value
    return found


def parse_speakers(text: str, where: str) -> list[dict[str, str]]:
    """agenda.csv's speakers column, ``Name (group): affiliation [role]; …``, as the stored shape:
    ``{"name", "group", "affiliation", "role"}`` (the role ``speaker`` where none is given)."""
    speakers = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = SPEAKER.match(part)
        if not match:
            raise EventConfigError(f"{where}: speaker {part!r} is not 'Name (group): affiliation [role]'")
        affiliation, role = (match["affiliation"] or "").strip(), (match["role"] or "").strip()
        old_chair = OLD_CHAIR.match(affiliation) if not role else None
        if old_chair:
            affiliation, role = (old_chair["affiliation"] or "").strip(), "chair"
        speakers.append(
            {
                "name": match["name"],
                "group": match["group"] or "",
                "affiliation": affiliation,
                "role": role or DEFAULT_ROLE,
            }
        )
    return speakers


def speaker_fields(stored: dict[str, str]) -> tuple[str, str, str]:
    """(name, affiliation, role) of a stored speaker, in either shape: today's, with ``affiliation``
    beside ``role``, or the one before, whose ``role`` held the affiliation ("OSCE (chair)")."""
    name = str(stored.get("name") or "")
    if "affiliation" in stored:
        return name, str(stored.get("affiliation") or ""), str(stored.get("role") or DEFAULT_ROLE)
    text = str(stored.get("role") or "").strip()
    old_chair = OLD_CHAIR.match(text)
    if old_chair:
        return name, (old_chair["affiliation"] or "").strip(), "chair"
    return name, text, DEFAULT_ROLE


def speaker_text(name: str, group: str, affiliation: str, role: str) -> str:
    """One speaker as agenda.csv writes it, ``Name (group): affiliation [role]``; the characters that
    would end a part (``;``, parentheses and ``:`` in a name, brackets) replaced, the default role left out."""
    name = _speaker_part(re.sub(r"[()\[\]:]", " ", name))
    affiliation = _speaker_part(affiliation.replace("[", "(").replace("]", ")"))
    role = _speaker_part(re.sub(r"[\[\]]", " ", role))
    text = name + (f" ({group})" if group else "") + (f": {affiliation}" if affiliation else "")
    return text + (f" [{role}]" if role and role != DEFAULT_ROLE else "")


def _speaker_part(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(";", ",")).strip()


def needs_neutralising(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula (``exports.FORMULA_STARTS``), or it
    starts with the ``'`` that says it is not one: either way ``agenda.csv`` writes a ``'`` before it."""
    return text[:1] in FORMULA_STARTS or (text[:1] == "'" and needs_neutralising(text[1:]))


def plain_agenda_cell(text: str) -> str:
    """A cell of ``agenda.csv`` as it was before ``agenda-import`` neutralised it ("'=x" → "=x",
    "''=x" → "'=x"); a cell typed by hand with a ``'`` before a formula reads as a spreadsheet shows it."""
    return text[1:] if text[:1] == "'" and needs_neutralising(text[1:]) else text


def load_agenda(event: EventConfig, folder: Path | None = None) -> list[AgendaRow]:
    path = _path("agenda.csv", folder)
    rows, seen = [], set()
    for line, cells in _rows(path, {"key", "title", "kind", "start", "end"}):
        row = {name: plain_agenda_cell(value) for name, value in cells.items()}
        where = f"{path}:{line}"
        key = row["key"]
        if not key or not row["title"]:
            raise EventConfigError(f"{where}: 'key' and 'title' are required")
        if key in seen:
            raise EventConfigError(f"{where}: key {key!r} appears twice")
        seen.add(key)
        kind = row["kind"].lower().replace(" ", "_").replace("-", "_")
        if kind not in SESSION_KINDS:
            raise EventConfigError(f"{where}: kind {row['kind']!r} is not one of {', '.join(sorted(SESSION_KINDS))}")
        try:
            starts = to_utc(datetime.fromisoformat(row["start"]), event.zone)
            ends = to_utc(datetime.fromisoformat(row["end"]), event.zone)
        except ValueError:
            raise EventConfigError(f"{where}: start and end must be 'YYYY-MM-DD HH:MM' in {event.time_zone}") from None
        if ends <= starts:
            raise EventConfigError(f"{where}: the session ends before it starts")
        rows.append(
            AgendaRow(
                key=key,
                title=row["title"],
                kind=kind,
                starts_at=starts,
                ends_at=ends,
                room=row.get("room", ""),
                hashtags=[normalise_hashtag(t) for t in row.get("hashtags", "").replace(",", " ").split()],
                speakers=parse_speakers(row.get("speakers", ""), where),
                illustrative=_truthy(row.get("illustrative", "")),
                source_note=row.get("source_note", ""),
                titles=translated(row, "title", where),
            )
        )
    return rows


def load_groups(folder: Path | None = None) -> list[GroupRow]:
    path = _path("stakeholder_groups.csv", folder)
    rows: list[GroupRow] = []
    for line, row in _rows(path, {"key", "label", "colour"}):
        where = f"{path}:{line}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", row["key"]):
            raise EventConfigError(f"{where}: key {row['key']!r} must be lower-case letters, digits and '_'")
        if not COLOUR.match(row["colour"]):
            raise EventConfigError(f"{where}: colour {row['colour']!r} is not '#RRGGBB'")
        order = row.get("display_order") or str(len(rows) + 1)
        if not order.isdigit():
            raise EventConfigError(f"{where}: display_order {order!r} is not a whole number")
        rows.append(
            GroupRow(
                row["key"],
                row["label"],
                row.get("description", ""),
                int(order),
                row["colour"],
                translated(row, "label", where),
            )
        )
    if "public" not in {row.key for row in rows}:
        raise EventConfigError(f"{path}: the taxonomy needs a 'public' group for unmatched authors")
    return rows


def load_directory(group_keys: set[str], folder: Path | None = None) -> tuple[list[DirectoryRow], list[KeywordRow]]:
    path = _path("stakeholder_directory.csv", folder)
    accounts, keywords, seen = [], [], set()
    for line, row in _rows(path, {"kind", "match", "group"}):
        where = f"{path}:{line}"
        if row["group"] not in group_keys:
            raise EventConfigError(f"{where}: group {row['group']!r} is not in stakeholder_groups.csv")
        if not row["match"]:
            raise EventConfigError(f"{where}: 'match' is empty")
        if row["kind"] == "account":
            handle = row["match"].lstrip("@").lower()
            if handle in seen:
                raise EventConfigError(f"{where}: account {handle!r} appears twice")
            seen.add(handle)
            accounts.append(
                DirectoryRow(
                    handle, row.get("organisation", ""), row["group"], row.get("user_id") or None, row.get("note", "")
                )
            )
        elif row["kind"] == "keyword":
            keywords.append(KeywordRow(row["match"], row["group"], row.get("language", ""), row.get("note", "")))
        else:
            raise EventConfigError(f"{where}: kind {row['kind']!r} is not 'account' or 'keyword'")
    return accounts, keywords
