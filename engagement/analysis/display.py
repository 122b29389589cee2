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
from babel.dates import format_datetime

from engagement.i18n import N_, Translator

PAGE_TIME = "%a %d %b, %H:%M"  # Mon 23 Apr, 09:30
EXPORT_TIME = "%Y-%m-%d %H:%M"  # 2018-04-23 09:30: sorts as text
PAGE_TIME_MOMENT = "ddd D MMM, HH:mm"  # PAGE_TIME for st.column_config.DatetimeColumn (moment.js)
UNDETERMINED = N_("Undetermined")
# No language: undetermined, no linguistic content, and X's codes for posts of only mentions,
# cashtags, hashtags, media links or very short text.
NO_LANGUAGE = frozenset({"", "und", "zxx", "mul", "qam", "qct", "qht", "qme", "qst", "art"})

# Why a post was collected (engagement.rules.reasons) → what people read.
REASON_LABELS = {
    "own": N_("The organiser's own posts"),
    "hashtag": N_("Carried the event hashtag"),
    "reply": N_("Replied to the organiser (no hashtag)"),
    "mention": N_("Mentioned the organiser (no hashtag)"),
    "other": N_("Matched no current term"),
}

# A network's name, and the one colour it has on every chart (Okabe–Ito, colour-blind safe).
NETWORK_LABELS = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}
# X's own black is 1.1:1 on Streamlit's dark background: a dark grey (5.3:1 on white, 3.5:1 on the dark
# background, and apart from the grey of "another" network) stands for it.
NETWORK_COLOURS = {"x": "#6B6B6B", "bluesky": "#0072B2", "mastodon": "#B55F91"}  # Mastodon: the quote pink


NETWORK_ORDER = tuple(NETWORK_LABELS)
# Kinds as stored (X's codes) -> neutral words; a network's own word for a repost goes beside it.
KIND_WORDS = {"original": N_("originals"), "retweet": N_("reposts"), "reply": N_("replies"), "quote": N_("quotes")}
REPOST_WORDS = {"x": N_("retweets"), "mastodon": N_("boosts")}  # Bluesky's own word is "repost"
# One post's kind (``kind_word``): the singular of each, marked on its own, since no language but
# English makes it by dropping an "s".
KIND_WORD = {"original": N_("original"), "retweet": N_("repost"), "reply": N_("reply"), "quote": N_("quote")}
REPOST_WORD = {"x": N_("retweet"), "mastodon": N_("boost")}


def network_label(network: str | None) -> str:
    return NETWORK_LABELS.get(str(network), str(network))


def network_colour(network: str | None) -> str:
    return NETWORK_COLOURS.get(str(network), "#898989")  # a grey at 3.5:1 on white (the lighter one before: 2.85:1)


def _said(text: str, t: Translator | None) -> str:
    """``text`` (a marked English string) in ``t``'s language; as it is without a translator."""
    return t.gettext(text) if t is not None else text


def kind_label(kind: str, networks: Iterable[str] = (), *, capital: bool = False, t: Translator | None = None) -> str:
    """A kind in neutral words, plural: "originals", "reposts", "replies", "quotes"; "reposts
    (retweets)" when X is among ``networks`` (the networks shown), "reposts (retweets, boosts)" with
    Mastodon too, plain "reposts" for Bluesky alone. ``capital``: "Reposts (retweets)"; ``t``: in its
    language."""
    word = _said(KIND_WORDS[kind], t) if kind in KIND_WORDS else str(kind)
    if kind == "retweet":
        shown = set(networks)
        own = [_said(REPOST_WORDS[n], t) for n in NETWORK_ORDER if n in shown and n in REPOST_WORDS]
        if own:
            word += f" ({', '.join(own)})"
    return word[:1].upper() + word[1:] if capital else word


def kind_word(kind: str, network: str | None = None, t: Translator | None = None) -> str:
    """One post's kind in a neutral word, its network's own beside a repost: "repost (retweet)" on
    X, "repost (boost)" on Mastodon, "repost" on Bluesky; "original", "reply", "quote" (``t``: in its
    language)."""
    word = _said(KIND_WORD[kind], t) if kind in KIND_WORD else str(kind)
    own = REPOST_WORD.get(str(network)) if kind == "retweet" else None
    return f"{word} ({_said(own, t)})" if own else word


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
    "id": N_("ID"),
    "key": N_("Key"),
    "session_key": N_("Session key"),
    "session": N_("Session"),
    "title": N_("Title"),
    "kind": N_("Kind"),
    "starts_at": N_("Starts"),
    "ends_at": N_("Ends"),
    "start": N_("Starts"),
    "end": N_("Ends"),
    "room": N_("Room"),
    "hashtags": N_("Hashtags"),
    "illustrative": N_("Illustrative"),
    # stakeholder groups
    "group": N_("Stakeholder group"),
    "label": N_("Label"),
    "description": N_("Description"),
    "colour": N_("Colour"),
    "order": N_("Order"),
    "display_order": N_("Order"),
    # posts and accounts
    "posts": N_("Posts"),
    "authors": N_("Unique authors"),
    "questions": N_("Questions"),
    "time": N_("Time"),
    "handle": N_("Account"),
    "name": N_("Name"),
    "bio": N_("Bio"),
    "text": N_("Post"),
    "link": N_("Link"),
    "retweets": N_("Reposts"),
    "likes": N_("Likes"),
    "retweets received": N_("Reposts received"),
    "account": N_("Account"),
    "mentions": N_("Mentions"),
    "language": N_("Language"),
    "hashtag": N_("Hashtag"),
    "network": N_("Network"),
    "organisation": N_("Organisation"),
    "decided by": N_("Group decided by"),
    "note": N_("Note"),
    "from": N_("From group"),
    "to": N_("To group"),
    "count": N_("Count"),
    # questions and moderation
    "question": N_("Question"),
    "original_text": N_("Original text"),
    "status": N_("Status"),
    "votes": N_("Votes"),
    "affiliation": N_("Affiliation"),
    "flagged": N_("Held by the blocklist"),
    "dismiss_reason": N_("Dismissal reason"),
    "merged_into": N_("Merged into"),
    "asked at": N_("Asked at"),
    "asked_at": N_("Asked at"),
    "answered_at": N_("Answered at"),
    "at": N_("Time"),
    "moderator": N_("Moderator"),
    "action": N_("Action"),
    "reason": N_("Reason"),
    "before": N_("Before"),
    "after": N_("After"),
    "submitted": N_("Submitted"),
    "approved": N_("Approved"),
    "published": N_("Published"),
    "answered": N_("Answered"),
    "dismissed": N_("Dismissed"),
    "published, not answered": N_("Published, not answered"),
    "answered share": N_("Answered share"),
    "submitted_share": N_("Share of submitted"),
    "approved_share": N_("Share of approved"),
    "answered_share": N_("Share of answered"),
    # the report
    "figure": N_("Figure"),
    "value": N_("Value"),
    "item": N_("Item"),
    "caveat": N_("Caveat"),
    "contributions": N_("Contributions"),
    "registered": N_("Registered"),
    "registered share": N_("Share of registrations"),
    "posts share": N_("Share of posts"),
    "questions share": N_("Share of questions"),
    "posts ratio": N_("Posts ratio"),
    "questions ratio": N_("Questions ratio"),
    "under-heard": N_("Under-heard"),
    "groups under-heard": N_("Groups under-heard"),
    "under-heard groups": N_("Under-heard groups"),
    # ingest
    "source": N_("Source"),
    "command": N_("Command"),
    "started": N_("Started"),
    "ended": N_("Ended"),
    "counts": N_("Counts"),
    "last error": N_("Last error"),
    "location": N_("Location"),
    "record (start)": N_("Record (start)"),
    "kept at": N_("Kept at"),
    "position": N_("Position"),
    "state": N_("State"),
    "started_at": N_("Last run started"),
    "ended_at": N_("Last run ended"),
    "checkpoints": N_("Resume points"),
    "checkpoint_at": N_("Resume point saved"),
    "checkpoint_age_s": N_("Resume point age (s)"),
    "lag_s": N_("Behind now (s)"),
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


def label(column: str, t: Translator | None = None) -> str:
    """The label people read for ``column`` (in ``t``'s language, when given)."""
    column = str(column)
    if column in LABELS:
        return _said(LABELS[column], t)
    text = column.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def export_label(column: str, zone: str, t: Translator | None = None) -> str:
    """The label in an exported file: a time column names its zone ("Starts (Europe/Vienna)")."""
    return f"{label(column, t)} ({zone})" if str(column) in TIME_COLUMNS else label(column, t)


def reason_label(reason: str | None, t: Translator | None = None) -> str:
    return _said(REASON_LABELS[str(reason)], t) if str(reason) in REASON_LABELS else str(reason)


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    return dict(Locale("en").languages)


def language_name(code: str | None, t: Translator | None = None) -> str:
    """A language code's name from CLDR: in English ("ru" → "Russian", "pt-BR" → "Portuguese (Brazil)"),
    or in ``t``'s language ("ru" → "russe" in French, capitalised as a label: "Russe")."""
    if t is None or t.code == "en":
        return _english_name(code)
    if _english_name(code) == UNDETERMINED:
        return t.gettext(UNDETERMINED)
    return _named_in(str(code).strip().replace("-", "_"), t.code)


@lru_cache(maxsize=1024)
def _named_in(code: str, language: str) -> str:
    try:
        name = Locale.parse(code).get_display_name(language) or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


@lru_cache(maxsize=512)
def _english_name(code: str | None) -> str:
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


# PAGE_TIME in CLDR's pattern language, for the other languages ("lun. 23 avr., 09:30").
PAGE_TIME_CLDR = "EEE d MMM, HH:mm"


def format_time(value, zone: str, pattern: str = PAGE_TIME, t: Translator | None = None) -> str:
    """One time as people read it in ``zone``: "Mon 23 Apr, 09:30" (``EXPORT_TIME`` for files); "" for
    none. ``t``: the page's pattern with day and month names in its language (Babel)."""
    local = _local(value, ZoneInfo(zone))
    if local is None:
        return ""
    if not isinstance(local, datetime):
        return str(local)
    if t is not None and t.code != "en" and pattern == PAGE_TIME:
        return format_datetime(local, PAGE_TIME_CLDR, locale=t.locale)
    return local.strftime(pattern)


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


def _languages(frame: pd.DataFrame, t: Translator | None = None) -> pd.DataFrame:
    """Language codes as names (in ``t``'s language), network codes as the networks' labels."""
    if "language" in frame.columns:
        frame["language"] = frame["language"].map(lambda code: language_name(code, t))
    if "network" in frame.columns:
        frame["network"] = frame["network"].map(network_label)
    return frame


def for_page(frame: pd.DataFrame, zone: str, t: Translator | None = None) -> pd.DataFrame:
    """``frame`` as a page shows it: times as naive local datetimes in ``zone`` (the page's column
    config formats them), language names, human column labels (``t``: in its language). ``frame`` is
    left as it is."""
    out = _languages(frame.copy(), t)
    for column in out.columns:
        if is_time(out[column]):
            out[column] = local_times(out[column], zone)
    return out.rename(columns=lambda c: label(c, t))


def for_export(frame: pd.DataFrame, zone: str, times: str = "text", t: Translator | None = None) -> pd.DataFrame:
    """``frame`` for a file: times in ``zone`` as sortable text "2018-04-23 09:30" (``times="text"``, for
    CSV) or as naive local datetimes (``times="datetime"``, for a spreadsheet's date cells); language
    names; human column labels, a time column's naming the zone (``t``: in its language). ``frame`` is
    left as it is."""
    out = _languages(frame.copy(), t)
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
    return out.rename(columns=lambda c: export_label(c, zone, t))
