"""Display formatting: how tables look to people on the pages and in the exports (CSV, XLSX, HTML).

One place for three things, so that no page has labels or formats of its own:

- **Column labels**: ``LABELS`` maps each column name the core's queries return to the label people
  read ("starts_at" → "Starts"); a column not in it gets its name in sentence case.
- **Times in the event's zone**: the database holds UTC and so do the frames the core returns; a time
  is converted to the event's zone only here, at display or export. Pages show "Mon 23 Apr, 09:30"
  (``PAGE_TIME``); CSV files a sortable "2018-04-23 09:30" (``EXPORT_TIME``) under a header that names
  the zone ("Starts (Europe/Vienna)"). A naive datetime is taken as already local: the report's tables
  hold local times that way (an aware one is always converted).
- **Networks and kinds**: a network's one label and colour (``NETWORK_LABELS``, ``NETWORK_COLOURS``), a
  ``network`` column shown as its label; a post's kind in neutral words (``kind_label``: original,
  repost, reply, quote) with each shown network's own word beside "repost" ("reposts (retweets)").
- **Language names** from CLDR through Babel ("ru" → "Russian"); undetermined codes ("und", "zxx",
  X's "qme"-style codes, empty) and codes CLDR does not know read "Undetermined". Filters keep the
  code as their value and show the name (``format_func=language_name``).

Nothing here imports Streamlit: ``engagement.ui.widgets`` turns these into ``st.column_config``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import pandas as pd
from babel import Locale, UnknownLocaleError

PAGE_TIME = "%a %d %b, %H:%M"  # Mon 23 Apr, 09:30
EXPORT_TIME = "%Y-%m-%d %H:%M"  # 2018-04-23 09:30: sorts as text
PAGE_TIME_MOMENT = "ddd D MMM, HH:mm"  # PAGE_TIME for st.column_config.DatetimeColumn (moment.js)
UNDETERMINED = "Undetermined"
# No language: undetermined, no linguistic content, and X's codes for posts of only mentions,
# cashtags, hashtags, media links or very short text.
NO_LANGUAGE = frozenset({"", "und", "zxx", "mul", "qam", "qct", "qht", "qme", "qst", "art"})

# Why a post was collected (engagement.rules.reasons) → what people read.
REASON_LABELS = {
    "own": "The organiser's own posts",
    "hashtag": "Carried the event hashtag",
    "reply": "Replied to the organiser (no hashtag)",
    "mention": "Mentioned the organiser (no hashtag)",
    "other": "Matched no current term",
}

# A network's name, and the one colour it has on every chart (Okabe–Ito, colour-blind safe).
NETWORK_LABELS = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}
NETWORK_COLOURS = {"x": "#000000", "bluesky": "#0072B2", "mastodon": "#CC79A7"}


NETWORK_ORDER = tuple(NETWORK_LABELS)
# Kinds as stored (X's codes) -> neutral words; a network's own word for a repost goes beside it.
KIND_WORDS = {"original": "originals", "retweet": "reposts", "reply": "replies", "quote": "quotes"}
REPOST_WORDS = {"x": "retweets", "mastodon": "boosts"}  # Bluesky's own word is "repost"


def network_label(network: str | None) -> str:
    return NETWORK_LABELS.get(str(network), str(network))


def network_colour(network: str | None) -> str:
    return NETWORK_COLOURS.get(str(network), "#898989")  # a grey at 3.5:1 on white (the lighter one before: 2.85:1)


def kind_label(kind: str, networks: Iterable[str] = (), *, capital: bool = False) -> str:
    """A kind in neutral words, plural: "originals", "reposts", "replies", "quotes"; "reposts
    (retweets)" when X is among ``networks`` (the networks shown), "reposts (retweets, boosts)" with
    Mastodon too, plain "reposts" for Bluesky alone. ``capital``: "Reposts (retweets)"."""
    word = KIND_WORDS.get(str(kind), str(kind))
    if kind == "retweet":
        shown = set(networks)
        own = [REPOST_WORDS[n] for n in NETWORK_ORDER if n in shown and n in REPOST_WORDS]
        if own:
            word += f" ({', '.join(own)})"
    return word[:1].upper() + word[1:] if capital else word


def kind_word(kind: str, network: str | None = None) -> str:
    """One post's kind in a neutral word, its network's own beside a repost: "repost (retweet)" on
    X, "repost (boost)" on Mastodon, "repost" on Bluesky; "original", "reply", "quote"."""
    word = KIND_WORDS.get(str(kind), str(kind))
    word = word[:-3] + "y" if word.endswith("ies") else word.removesuffix("s")
    own = REPOST_WORDS.get(str(network)) if kind == "retweet" else None
    return f"{word} ({own.removesuffix('s')})" if own else word


def post_link(network: str, post_id: str, current_id: str | None = None) -> str:
    """The post's public address from its ``post_id`` (the stored key) and ``current_id`` (its newest
    version): X's status page for the newest edit, Bluesky's post page for an at:// URI, a Mastodon
    status's own https:// URI (its ``current_id`` is a version number, not an address)."""
    if post_id.startswith("https://"):
        return post_id
    if network == "bluesky" and post_id.startswith("at://"):
        did, _, rkey = post_id.removeprefix("at://").partition("/app.bsky.feed.post/")
        return f"https://bsky.app/profile/{did}/post/{rkey}"
    return f"https://x.com/i/web/status/{current_id or post_id}"


def with_links(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s posts (columns ``network``, ``post``: the stored key, and ``id``: the newest
    version) with a ``link`` to each instead of the ids; the network stays (pages and files show its
    label). Without a ``post`` column, ``id`` is the key."""
    keys = frame["post"] if "post" in frame.columns else frame["id"]
    links = [
        post_link(str(network), str(key), str(current))
        for network, key, current in zip(frame["network"], keys, frame["id"], strict=True)
    ]
    return frame.assign(link=links).drop(columns=[c for c in ("id", "post") if c in frame.columns])


# Column name (as the core's frames have it) → what people read.
LABELS = {
    # agenda and sessions
    "id": "ID",
    "key": "Key",
    "session_key": "Session key",
    "session": "Session",
    "title": "Title",
    "kind": "Kind",
    "starts_at": "Starts",
    "ends_at": "Ends",
    "start": "Starts",
    "end": "Ends",
    "room": "Room",
    "hashtags": "Hashtags",
    "illustrative": "Illustrative",
    # stakeholder groups
    "group": "Stakeholder group",
    "label": "Label",
    "description": "Description",
    "colour": "Colour",
    "order": "Order",
    "display_order": "Order",
    # posts and accounts
    "posts": "Posts",
    "authors": "Unique authors",
    "questions": "Questions",
    "time": "Time",
    "handle": "Account",
    "name": "Name",
    "bio": "Bio",
    "text": "Post",
    "link": "Link",
    "retweets": "Reposts",
    "likes": "Likes",
    "retweets received": "Reposts received",
    "account": "Account",
    "mentions": "Mentions",
    "language": "Language",
    "hashtag": "Hashtag",
    "network": "Network",
    "organisation": "Organisation",
    "decided by": "Group decided by",
    "note": "Note",
    "from": "From group",
    "to": "To group",
    "count": "Count",
    # questions and moderation
    "question": "Question",
    "original_text": "Original text",
    "status": "Status",
    "votes": "Votes",
    "affiliation": "Affiliation",
    "flagged": "Held by the blocklist",
    "dismiss_reason": "Dismissal reason",
    "merged_into": "Merged into",
    "asked at": "Asked at",
    "asked_at": "Asked at",
    "answered_at": "Answered at",
    "at": "Time",
    "moderator": "Moderator",
    "action": "Action",
    "reason": "Reason",
    "before": "Before",
    "after": "After",
    "submitted": "Submitted",
    "approved": "Approved",
    "published": "Published",
    "answered": "Answered",
    "dismissed": "Dismissed",
    "published, not answered": "Published, not answered",
    "answered share": "Answered share",
    "submitted_share": "Share of submitted",
    "approved_share": "Share of approved",
    "answered_share": "Share of answered",
    # the report
    "figure": "Figure",
    "value": "Value",
    "item": "Item",
    "caveat": "Caveat",
    "contributions": "Contributions",
    "registered": "Registered",
    "registered share": "Share of registrations",
    "posts share": "Share of posts",
    "questions share": "Share of questions",
    "posts ratio": "Posts ratio",
    "questions ratio": "Questions ratio",
    "under-heard": "Under-heard",
    "groups under-heard": "Groups under-heard",
    "under-heard groups": "Under-heard groups",
    # ingest
    "source": "Source",
    "command": "Command",
    "started": "Started",
    "ended": "Ended",
    "counts": "Counts",
    "last error": "Last error",
    "location": "Location",
    "record (start)": "Record (start)",
    "kept at": "Kept at",
    "position": "Position",
    "state": "State",
    "started_at": "Last run started",
    "ended_at": "Last run ended",
    "checkpoints": "Resume points",
    "checkpoint_at": "Resume point saved",
    "checkpoint_age_s": "Resume point age (s)",
    "lag_s": "Behind now (s)",
}
# Columns that hold times (as datetimes, or as text the core has already formatted).
TIME_COLUMNS = frozenset(
    {
        "starts_at",
        "ends_at",
        "start",
        "end",
        "time",
        "at",
        "asked at",
        "asked_at",
        "answered_at",
        "started",
        "ended",
        "kept at",
        "started_at",
        "ended_at",
        "checkpoint_at",
    }
)
LONG_TEXT = frozenset(
    {
        "text",
        "question",
        "original_text",
        "bio",
        "before",
        "after",
        "record (start)",
        "value",
        "description",
        "last error",
    }
)


def label(column: str) -> str:
    """The label people read for ``column``."""
    column = str(column)
    if column in LABELS:
        return LABELS[column]
    text = column.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def export_label(column: str, zone: str) -> str:
    """The label in an exported file: a time column names its zone ("Starts (Europe/Vienna)")."""
    return f"{label(column)} ({zone})" if str(column) in TIME_COLUMNS else label(column)


def reason_label(reason: str | None) -> str:
    return REASON_LABELS.get(str(reason), str(reason))


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    return dict(Locale("en").languages)


@lru_cache(maxsize=512)
def language_name(code: str | None) -> str:
    """The English name of a language code from CLDR ("ru" → "Russian", "pt-BR" → "Portuguese (Brazil)")."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return UNDETERMINED
    code = str(code).strip().replace("-", "_")
    if code.lower() in NO_LANGUAGE:
        return UNDETERMINED
    names = _names()
    if code.lower() in names:
        return names[code.lower()]
    try:
        return Locale.parse(code).get_display_name("en") or UNDETERMINED
    except (ValueError, TypeError, UnknownLocaleError):
        return UNDETERMINED


def _local(value, zone: ZoneInfo):
    """A datetime in ``zone``, naive (a naive one is taken as local already); anything else as it is."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo is not None else value
    return value


def format_time(value, zone: str, pattern: str = PAGE_TIME) -> str:
    """One time as people read it in ``zone``: "Mon 23 Apr, 09:30" (``EXPORT_TIME`` for files); "" for none."""
    local = _local(value, ZoneInfo(zone))
    if local is None:
        return ""
    return local.strftime(pattern) if isinstance(local, datetime) else str(local)


def is_time(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return True
    return series.dtype == object and series.map(lambda v: isinstance(v, datetime)).any()


def local_times(series: pd.Series, zone: str) -> pd.Series:
    """A time column as naive local datetimes in ``zone`` (NaT for none); text and other values kept."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert(zone).dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    place = ZoneInfo(zone)
    converted = series.map(lambda v: _local(v, place))
    if converted.map(lambda v: v is None or isinstance(v, datetime)).all():
        return pd.to_datetime(converted)
    return converted


def kind_of(column: str, series: pd.Series) -> str:
    """How a column is shown: time, share, ratio, count, link, flag, long text or plain."""
    name = str(column)
    if is_time(series):
        return "time"
    if name == "link":
        return "link"
    if pd.api.types.is_bool_dtype(series.dtype):
        return "flag"
    if pd.api.types.is_numeric_dtype(series.dtype):
        if name.endswith("share"):
            return "share"
        if name.endswith("ratio"):
            return "ratio"
        return "count" if name not in {"id", "question", "merged_into"} else "plain"
    if name in LONG_TEXT:
        return "text"
    return "plain"


def _languages(frame: pd.DataFrame) -> pd.DataFrame:
    """Language codes as names, network codes as the networks' labels."""
    if "language" in frame.columns:
        frame["language"] = frame["language"].map(language_name)
    if "network" in frame.columns:
        frame["network"] = frame["network"].map(network_label)
    return frame


def for_page(frame: pd.DataFrame, zone: str) -> pd.DataFrame:
    """``frame`` as a page shows it: times as naive local datetimes in ``zone`` (the page's column
    config formats them), language names, human column labels. ``frame`` is left as it is."""
    out = _languages(frame.copy())
    for column in out.columns:
        if is_time(out[column]):
            out[column] = local_times(out[column], zone)
    return out.rename(columns=label)


def for_export(frame: pd.DataFrame, zone: str, times: str = "text") -> pd.DataFrame:
    """``frame`` for a file: times in ``zone`` as sortable text "2018-04-23 09:30" (``times="text"``, for
    CSV) or as naive local datetimes (``times="datetime"``, for a spreadsheet's date cells); language
    names; human column labels, a time column's naming the zone. ``frame`` is left as it is."""
    out = _languages(frame.copy())
    for column in out.columns:
        if is_time(out[column]):
            local = local_times(out[column], zone)
            if times == "text":
                local = local.map(
                    lambda v: (
                        v.strftime(EXPORT_TIME)
                        if isinstance(v, datetime) and pd.notna(v)
                        else ("" if v is None or v is pd.NaT else v)
                    )
                ).astype(object)
            out[column] = local
    return out.rename(columns=lambda c: export_label(c, zone))
