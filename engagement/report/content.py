# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload, union-attr"
"""What the post-event summary says, computed once for the page, the HTML, the workbook and the PDF.

Every figure comes from SQL over the same filters as the Analyse pages, the networks among them: a
report of one network is ``build(…, Filters(networks=("bluesky",)))``. Posts are counted per network
("By network") and kinds named in neutral words, with each network's own word where that network is
in the report ("reposts (retweets)"). Participants' tokens and hashes never enter the report; names
and affiliations only when asked for; posts hidden from the public are counted, never shown.

The report is written in one language, the organiser's choice (``build(…, language="fr")``; default the
event's first): its sentences, notes, caveats, findings and charts are made in it here, from the staff
catalog; its tables keep their column names and their English keys ("By session", "collected posts"),
which the documents translate as they print them (``Report.words``).
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_datetime
from babel.numbers import format_percent
from sqlalchemy import func, select
from sqlmodel import Session

from engagement import i18n
from engagement.analysis import analytics, display, facts, layers, rollups
from engagement.analysis.analytics import ALL, Filters
from engagement.i18n import N_, Translator
from engagement.qa import listing
from engagement.report import figures, voice
from engagement.report import findings as findings_rules
from engagement.rules.event import NETWORKS, EventConfig
from engagement.storage import flags
from engagement.storage.covering import scanned
from engagement.storage.models import (
    AgendaSession,
    Author,
    GroupSource,
    IngestRun,
    Post,
    Question,
    StakeholderGroup,
)
from engagement.storage.models import (
    QuestionStatus as S,
)
from engagement.timeutil import to_local, utcnow

PUBLISHED = analytics.PUBLISHED
# Sessions to build the report with (db.reading_together): its queries are independent, and the
# database releases Python's lock while it works.
THREADS = min(4, os.cpu_count() or 1)
# Published questions the summary page lists (the most voted); the files have them all.
PAGE_QUESTIONS = 500
KIND_HEADINGS = display.KIND_WORDS  # neutral words; kind_headings adds the networks' own
REASON_HEADINGS = {
    "hashtag": N_("carried the hashtag"),
    "addressed": N_("addressed the organiser without it"),
    "own": N_("the organiser's own"),
}


def english() -> Translator:
    """The staff catalog in English: what the report says when no language is given."""
    return i18n.translator(i18n.DEFAULT, i18n.STAFF)


def _share(value: float, t: Translator) -> str:
    """A whole-per-cent share: "31%" ("31 %" in French, Babel's form for the language)."""
    return f"{value:.0%}" if t.code == i18n.DEFAULT else format_percent(value, locale=t.locale)


def reasons_in_brief(by_reason: pd.DataFrame) -> dict[str, int]:
    """The headline's three figures from ``analytics.by_reason``: replies to and mentions of the
    organiser are both the organiser addressed; posts matching no current term are left out here
    (the methods table counts them)."""
    posts = dict(zip(by_reason["reason"], by_reason["posts"], strict=True))
    return {
        REASON_HEADINGS["hashtag"]: int(posts.get("hashtag", 0)),
        REASON_HEADINGS["addressed"]: int(posts.get("reply", 0) + posts.get("mention", 0)),
        REASON_HEADINGS["own"]: int(posts.get("own", 0)),
    }


def collected_as(by_reason: pd.DataFrame, t: Translator | None = None) -> str:
    """'Of 3,000 posts, 2,410 carried the hashtag, 420 addressed the organiser without it, 170 were
    the organiser's own.' (in ``t``'s language)"""
    t = t or english()
    brief = reasons_in_brief(by_reason)
    total = int(by_reason["posts"].sum())
    hashtag, addressed, own = brief.values()
    other = total - hashtag - addressed - own
    said = (
        t.gettext(
            "Of {total} posts, {hashtag} carried the hashtag, {addressed} addressed the organiser without it, "
            "{own} were the organiser's own, {other} matched no current term."
        )
        if other
        else t.gettext(
            "Of {total} posts, {hashtag} carried the hashtag, {addressed} addressed the organiser without it, "
            "{own} were the organiser's own."
        )
    )
    counts = {"total": total, "hashtag": hashtag, "addressed": addressed, "own": own, "other": other}
    return said.format(**{name: t.number(n) for name, n in counts.items()})


@dataclass
class Report:
    event: EventConfig
    filters: Filters
    generated_at: datetime
    names: bool
    headline: dict[str, object]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, go.Figure] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # table name -> what it shows / how it is counted
    caveats: list[str] = field(default_factory=list)
    under_heard: list[str] = field(default_factory=list)
    # Published questions in all, where the table holds only the most voted of them (build's
    # question_limit); with_all_questions fills it in.
    published_questions: int | None = None
    # "Of 3,000 posts, 2,410 carried the hashtag, …": why the posts were collected, in one sentence.
    collected_as: str = ""
    # The five to eight sentences the report opens with (``findings.findings``, from its tables).
    findings: list[findings_rules.Finding] = field(default_factory=list)
    # The full list of published questions as an appendix of the HTML and PDF (always in the files).
    questions_in_pdf: bool = False
    # Full session title -> the short one the charts use ("Panel 1"); the documents print the key.
    short_titles: dict[str, str] = field(default_factory=dict)
    # The language the report is written in (one of i18n.LANGUAGES), and each headline figure's name
    # in it (the headline's keys stay English: the findings and the tests read them).
    language: str = i18n.DEFAULT
    headline_names: dict[str, str] = field(default_factory=dict)

    def words(self) -> Translator:
        """The staff catalog in the report's language."""
        return i18n.translator(self.language, i18n.STAFF)


def _published(column=Question.status):
    return column.in_(PUBLISHED) | ((column == S.archived) & Question.previous_status.in_(PUBLISHED))


def _question_where(f: Filters) -> list:
    return f.questions() + [Question.status != S.merged]


def _asked(session: Session, f: Filters) -> list[analytics.Asked]:
    """The questions under ``f`` counted by status (``analytics.question_counts``), those merged into
    another left out, as every question figure of the report leaves them."""
    return [row for row in analytics.question_counts(session, f) if not row.merged]


class UnknownNetwork(ValueError):
    """A network name the report cannot filter by (``ingest report --network``)."""


def for_networks(networks: Sequence[str] | None) -> Filters:
    """The report's filters for ``networks`` ("x", "bluesky", "mastodon"; also "X", "Bluesky" and
    comma-separated lists, as a command line gives them); None or empty: every network."""
    names = [n.strip().lower() for item in networks or () for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in NETWORKS]
    if unknown:
        raise UnknownNetwork(f"unknown network {', '.join(map(repr, unknown))}: choose from {', '.join(NETWORKS)}")
    return Filters(networks=tuple(dict.fromkeys(names))) if names else ALL


def kind_headings(networks: Sequence[str]) -> dict[str, str]:
    """The headline's name for each kind, for a report of ``networks``: "reposts (retweets)" when X
    is among them, "reposts" for Bluesky alone."""
    return {kind: display.kind_label(kind, networks) for kind in KIND_HEADINGS}


def report_networks(session: Session, f: Filters) -> tuple[str, ...]:
    """The networks a report under ``f`` covers: those chosen, else every network collected."""
    return f.networks or tuple(analytics.networks(session))


def headline(
    session: Session, f: Filters, zone: str, by_reason: pd.DataFrame | None = None, t: Translator | None = None
) -> dict[str, object]:
    """The summary's headline figures (English names; the values that are words in ``t``'s language);
    ``by_reason``: ``analytics.by_reason`` under ``f`` when the caller has it already."""
    t = t or english()
    # Posts with a known author, as on the Analyse pages (the rollups count those).
    volume = facts.by_time(session, f)
    kinds = dict(session.execute(select(volume.c.kind, facts.whole_sum(volume.c.posts)).group_by(volume.c.kind)).all())
    totals = analytics.totals(session, f)
    asked = _asked(session, f)
    questions = sum(row.questions for row in asked)
    answered = sum(row.questions for row in asked if row.was(S.answered))
    votes = sum(row.votes for row in asked)
    peak = analytics.peak_minute(session, f)
    reasons = reasons_in_brief(analytics.by_reason(session, f) if by_reason is None else by_reason)
    agenda = analytics.sessions(session)
    with_posts = set(session.scalars(select(volume.c.session_id).distinct()))
    with_questions = {row.session_id for row in asked}
    wanted = agenda if f.sessions is None else agenda[agenda["id"].isin(f.sessions)]
    covered = sum(1 for sid in wanted["id"] if int(sid) in with_posts | with_questions)
    peak_text = "—"
    if peak is not None:
        minute, n = peak
        moment = to_local(pd.Timestamp(minute * 60, unit="s", tz="UTC").to_pydatetime(), zone)
        when = f"{moment:%a %d %b %H:%M}" if t.code == i18n.DEFAULT else format_datetime(moment, PEAK, locale=t.locale)
        peak_text = t.ngettext("{moment} ({n} post)", "{moment} ({n} posts)", n).format(moment=when, n=t.number(n))
    return {
        N_("collected posts"): totals["posts"],
        **{name: kinds.get(k, 0) for k, name in kind_headings(report_networks(session, f)).items()},
        **reasons,
        N_("unique voices"): totals["voices"],
        N_("stakeholder groups heard"): totals["groups"],
        N_("questions"): questions,
        N_("answered share"): _share(answered / questions, t) if questions else "—",
        N_("votes"): int(votes),
        N_("peak minute"): peak_text,
        N_("sessions covered"): t.gettext("{covered} of {sessions}").format(
            covered=t.number(covered), sessions=t.number(len(wanted))
        ),
    }


# The peak minute's moment in the other languages ("lun. 23 avr. 09:42"): CLDR's form of "%a %d %b %H:%M".
PEAK = "EEE d MMM HH:mm"


def headline_names(networks: Sequence[str], t: Translator) -> dict[str, str]:
    """Each headline figure's English name → its name in ``t``'s language."""
    keys = [
        N_("collected posts"),
        *REASON_HEADINGS.values(),
        N_("unique voices"),
        N_("stakeholder groups heard"),
        N_("questions"),
        N_("answered share"),
        N_("votes"),
        N_("peak minute"),
        N_("sessions covered"),
    ]
    names = {key: t.gettext(key) for key in keys}
    names |= {display.kind_label(kind, networks): display.kind_label(kind, networks, t=t) for kind in KIND_HEADINGS}
    return names


def qa_by_session(session: Session, f: Filters) -> pd.DataFrame:
    counts: dict[int, list[int]] = {}
    for row in _asked(session, f):
        n, found = row.questions, counts.setdefault(row.session_id, [0, 0, 0, 0, 0])
        found[0] += n
        found[1] += n if row.was(*PUBLISHED) else 0
        found[2] += n if row.was(S.answered) else 0
        found[3] += n if row.was(S.dismissed) else 0
        found[4] += row.votes
    out = []
    for item in analytics.sessions(session).itertuples():
        if f.sessions is not None and item.id not in f.sessions:
            continue
        submitted, published, answered, dismissed, votes = counts.get(item.id, (0, 0, 0, 0, 0))
        out.append(
            (
                item.title,
                submitted,
                published,
                answered,
                published - answered,
                dismissed,
                int(votes),
                round(answered / submitted, 3) if submitted else None,
            )
        )
    return pd.DataFrame(
        out,
        columns=[
            "session",
            "submitted",
            "published",
            "answered",
            "published, not answered",
            "dismissed",
            "votes",
            "answered share",
        ],
    )


def contributions_by_session_group(session: Session, f: Filters) -> pd.DataFrame:
    """Posts plus questions per (session, group key): what the voice gap compares session by session
    (participants only: the organiser's own posts are left out, as in ``analytics.by_group``)."""
    posts = analytics.posts_by_session_group(session, f)
    questions = [(row.session_id, row.group_key, row.questions) for row in _asked(session, f)]
    titles = {int(r.id): r.title for r in analytics.sessions(session).itertuples()}
    rows: dict[tuple, int] = {}
    for sid, key, n in list(posts) + list(questions):
        if sid in titles and key:
            rows[(titles[sid], key)] = rows.get((titles[sid], key), 0) + n
    order = {title: n for n, title in enumerate(titles.values())}
    frame = pd.DataFrame([(s, k, n) for (s, k), n in rows.items()], columns=["session", "key", "contributions"])
    # Agenda order, then group key: the same order from every plan.
    return frame.assign(_order=frame["session"].map(order)).sort_values(["_order", "key"]).drop(columns="_order")


def public_contributors(session: Session, f: Filters, limit: int = 15) -> pd.DataFrame:
    """Top contributors among public accounts: those the organisers' directory (or a moderator) names as
    an organisation or office. Private individuals are counted everywhere but never named."""
    public = select(Author.id).where(Author.group_source.in_([GroupSource.directory, GroupSource.moderator]))
    per_author = facts.per_author(f, sums=("retweets", "likes"), among=public)
    rows = session.execute(
        select(
            Author.handle,
            Author.platform,
            func.coalesce(Author.override_organisation, Author.organisation),
            StakeholderGroup.label,
            per_author.c.n,
            per_author.c.retweets,
            per_author.c.likes,
        )
        .join(per_author, per_author.c.author_id == Author.id)
        .outerjoin(StakeholderGroup, StakeholderGroup.key == Author.group_key)
        .order_by(per_author.c.n.desc(), Author.handle)
        .limit(limit)
    ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=["handle", "network", "organisation", "group", "posts", "retweets received", "likes"],
    )


# How far down the most reposted posts ``public_posts`` walks before it asks the public accounts' own
# posts instead: in the demo's million, 28 of the first 1,000 are public (200 filtered to X, none
# among the replies). Walking 1,000 costs 10–30 ms of SQLite's CPU with the pages in memory.
PUBLIC_WALK = 1_000


def public_posts(session: Session, f: Filters, limit: int = 10) -> pd.DataFrame:
    """The most reposted (then liked) posts of public accounts under ``f``, reposts left out."""
    order = (Post.retweets.desc(), Post.likes.desc(), Post.id)
    public = select(Author.id).where(Author.group_source.in_([GroupSource.directory, GroupSource.moderator]))
    if f.networks is not None:
        public = public.where(Author.platform.in_(f.networks))
    ids = None if f.groups is not None else _walked_public(session, f, public, limit)
    if ids is None:
        # The public accounts are a few dozen (36 with 52,100 posts in the demo's million): their posts
        # through the author index, ``collected`` tested on each row, not a walk of the million-row
        # covering index on ``collected`` (0.54 → 0.23 s of CPU).
        top = (
            select(Post.id)
            .where(
                scanned(Post.collected).is_(True),
                *rollups.where(Post, f),
                Post.kind != "retweet",
                Post.author_id.in_(public),
                Post.hidden.is_(False),
            )
            .order_by(*order)
            .limit(limit)
        )
        ids = list(session.scalars(top))
    rows = session.execute(
        select(Post.retweets, Post.likes, Author.handle, Post.text, Post.current_id, Post.platform, Post.platform_id)
        .select_from(Post)
        .join(Author, Author.id == Post.author_id)
        .where(Post.id.in_(ids))
        .order_by(*order)
    ).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows], columns=["retweets", "likes", "handle", "text", "id", "network", "post"]
    )
    return display.with_links(frame)


def _walked_public(session: Session, f: Filters, public, limit: int) -> list[int] | None:
    """The top posts' ids from the first ``PUBLIC_WALK`` entries of revision 0020's index of the most
    reposted, the public accounts' kept: exact when ``limit`` of them are there or the walk saw every
    post under ``f``; ``None`` otherwise. At a million posts on SQLite (best of 3, pages in memory),
    the summary's top posts took 0.09–0.13 s of CPU under every filter, through the accounts' posts;
    now all 0.016, X 0.030, one day 0.017, Bluesky (no public account) 0.007, but replies 0.105 →
    0.138 (no public reply in the walk). An unbounded walk took 1.57 s where none had posted."""
    accounts = set(session.scalars(public))
    if not accounts:
        return []  # none on the networks chosen: no walk to the end of the posts, nor of theirs
    walked = session.execute(
        select(Post.id, Post.author_id, Post.hidden)
        .where(analytics.MOST_REPOSTED, *rollups.where(Post, f))
        .order_by(Post.retweets.desc(), Post.likes.desc(), Post.id)
        .limit(PUBLIC_WALK)
    ).all()
    ids = [post for post, author, hidden in walked if author in accounts and not hidden]
    return ids[:limit] if len(ids) >= limit or len(walked) < PUBLIC_WALK else None


def questions_table(session: Session, f: Filters, names: bool, zone: str, limit: int | None = None) -> pd.DataFrame:
    """Published questions in agenda order, the most voted first; with ``limit``, the most voted of
    all sessions only."""
    shown = [*_question_where(f), Question.forgotten.is_(False), _published()]
    if limit is not None:
        top = select(Question.id).where(*shown).order_by(Question.votes.desc(), Question.id).limit(limit)
        shown = [Question.id.in_(top.scalar_subquery())]
    rows = (
        session.connection()
        .execute(
            select(
                AgendaSession.title,
                Question.status,
                Question.previous_status,
                Question.text,
                Question.language,
                StakeholderGroup.label,
                Question.votes,
                Question.display_name,
                Question.affiliation,
                facts.seconds(session, Question.created_at),
            )
            .join(AgendaSession, AgendaSession.id == Question.session_id)
            .outerjoin(StakeholderGroup, StakeholderGroup.key == Question.group_key)
            .where(*shown)
            .order_by(AgendaSession.starts_at, Question.votes.desc(), Question.id)
        )
        .all()
    )
    frame = pd.DataFrame(
        [tuple(r) for r in rows],
        columns=[
            "session",
            "status",
            "previous",
            "question",
            "language",
            "group",
            "votes",
            "name",
            "affiliation",
            "asked at",
        ],
    )
    frame["answered"] = (frame["status"] == S.answered) | (frame["previous"] == S.answered)
    # In one go: a conversion per question took a second at 36,000 published questions.
    frame["asked at"] = (
        pd.to_datetime(frame["asked at"].astype("int64"), unit="s", utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    )
    frame = frame.drop(columns=["status", "previous"])
    if not names:
        frame = frame.drop(columns=["name", "affiliation"])
    return frame


def _published_count(session: Session, f: Filters) -> int:
    return sum(row.questions for row in _asked(session, f) if not row.forgotten and row.was(*PUBLISHED))


def with_all_questions(report: Report, session: Session) -> Report:
    """``report`` with every published question, where it holds only the most voted (for the files)."""
    if report.published_questions is None:
        return report
    every = questions_table(session, report.filters, report.names, report.event.time_zone)
    return replace(report, tables={**report.tables, "Published questions": every}, published_questions=None)


def methods(
    session: Session,
    event: EventConfig,
    f: Filters,
    by_reason: pd.DataFrame | None = None,
    by_network: pd.DataFrame | None = None,
    t: Translator | None = None,
) -> pd.DataFrame:
    """How the figures were made; ``by_reason`` and ``by_network``: those of ``analytics`` under ``f``
    when the caller has them already. Items keep their English names (the documents translate them),
    the values are in ``t``'s language."""
    t = t or english()
    _ = t.gettext
    # Two queries: SQLite answers a lone min() or max() from the index's ends, both together by a scan.
    first, last = (session.scalar(select(edge(Post.created_at)).where(*f.posts())) for edge in (func.min, func.max))
    sources = session.execute(
        select(IngestRun.source, func.count(), func.min(IngestRun.started_at), func.max(IngestRun.ended_at)).group_by(
            IngestRun.source
        )
    ).all()
    coverage = analytics.coverage(session)
    by_reason = analytics.by_reason(session, f) if by_reason is None else by_reason
    by_network = analytics.by_network(session, f) if by_network is None else by_network
    zone = event.time_zone
    when = lambda m: moment(m, zone, t) if m else "—"  # noqa: E731
    rows = [
        (N_("event"), event.name),
        (N_("collection query"), event.query()),
        (
            N_("why posts were collected"),
            _(
                "decided from each post against the event's hashtags and accounts, the first that holds: "
                "the organiser's own (posted by an account in event.toml's accounts), carried the hashtag, "
                "replied to the organiser, mentioned the organiser."
            )
            + " "
            + collected_as(by_reason, t),
        ),
        (N_("posts from"), when(first)),
        (N_("posts until"), when(last)),
        (N_("time zone"), zone),
        (N_("networks"), networks_in_brief(by_network, t)),
        (N_("filters"), describe_filters(f, zone, t)),
        (
            N_("sources"),
            "; ".join(
                t.ngettext("{source}: {n} run, {first} – {last}", "{source}: {n} runs, {first} – {last}", n).format(
                    source=source, n=t.number(n), first=when(a), last=when(b)
                )
                for source, n, a, b in sources
            )
            or _("none recorded"),
        ),
        (
            N_("classification coverage"),
            _("{share} of collected posts come from classified authors ({classified} of {posts})").format(
                share=f"{coverage['share']:.1%}"
                if t.code == i18n.DEFAULT
                else format_percent(coverage["share"], "#,##0.0%", locale=t.locale),
                classified=t.number(coverage["classified_posts"]),
                posts=t.number(coverage["posts"]),
            ),
        ),
        (
            N_("authors by how their group was decided"),
            ", ".join(
                f"{_(DECIDED_BY.get(k, k.removeprefix('authors_')))}: {t.number(v)}"
                for k, v in coverage.items()
                if k.startswith("authors_")
            ),
        ),
        (
            N_("questions counted"),
            _(
                "every question submitted, merged duplicates once; 'published' = approved, shown "
                "on screen or answered; dismissals are counted, never shown"
            ),
        ),
        (
            N_("public accounts"),
            _(
                "contributors and posts named in this report are those of accounts in the organisers' "
                "directory (or classified by a moderator): organisations and offices"
            ),
        ),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


# How an author's group was decided (``analytics.coverage``'s keys), as the methods name it.
DECIDED_BY = {
    "authors_directory": N_("directory"),
    "authors_rule": N_("rule"),
    "authors_moderator": N_("moderator"),
    "authors_unclassified": N_("unclassified"),
}


def moment(value: datetime, zone: str, t: Translator | None = None) -> str:
    """A moment as the methods and the cover write it: "23 Apr 2018 09:30" in ``zone`` (the month's
    name in ``t``'s language)."""
    local = to_local(value, zone)
    if t is None or t.code == i18n.DEFAULT:
        return f"{local:%d %b %Y %H:%M}"
    return format_datetime(local, "d MMM y HH:mm", locale=t.locale)


def networks_in_brief(by_network: pd.DataFrame, t: Translator | None = None) -> str:
    """'X: 2,190 posts by 410 authors; Bluesky: 810 posts by 150 authors' (``analytics.by_network``)."""
    t = t or english()
    return "; ".join(
        t.gettext("{network}: {posts} posts by {authors} authors").format(
            network=display.network_label(row.network), posts=t.number(row.posts), authors=t.number(row.authors)
        )
        for row in by_network.itertuples()
    ) or t.gettext("no posts")


def describe_filters(f: Filters, zone: str, t: Translator | None = None) -> str:
    t = t or english()
    _ = t.gettext
    parts = []
    if f.start or f.end:
        parts.append(_("from {moment}").format(moment=moment(f.start, zone, t)) if f.start else "")
        parts.append(_("until {moment}").format(moment=moment(f.end, zone, t)) if f.end else "")
    for name, values in (
        (N_("sessions"), f.sessions),
        (N_("groups"), f.groups),
        (N_("kinds"), f.kinds),
        (N_("languages"), f.languages),
        (N_("collected as"), f.reasons),
        (N_("networks"), None if f.networks is None else tuple(display.network_label(n) for n in f.networks)),
    ):
        if values is not None:
            parts.append(f"{_(name)}: {', '.join(map(str, values))}")
    return "; ".join(p for p in parts if p) or _("none: the whole collection")


def build(
    db_sessions: Session | Sequence[Session],
    event: EventConfig,
    f: Filters = ALL,
    *,
    names: bool = False,
    registrations: Path | str | None = None,
    question_limit: int | None = None,
    questions_in_pdf: bool = False,
    language: str | None = None,
) -> Report:
    """Everything the summary shows. ``names``: include participants' names and affiliations;
    ``question_limit``: list only the most voted published questions when there are more (a page
    shows those; ``with_all_questions`` reads the rest for the files); ``questions_in_pdf``: every
    published question in an appendix of the HTML and PDF too. Given several database sessions
    on one snapshot (``db.reading_together``), its queries run in as many threads. ``language``: the
    report's (one of ``i18n.LANGUAGES``); None or unknown: the event's first language, else English."""
    db_sessions = [db_sessions] if isinstance(db_sessions, Session) else list(db_sessions)
    zone = event.time_zone
    code = i18n.resolve(query=language, chosen=None, browser=None, event_languages=event.languages)
    t = i18n.translator(code, i18n.STAFF)
    taxonomy = analytics.groups(db_sessions[0])
    labels = dict(zip(taxonomy["key"], taxonomy["label"], strict=True))
    found = voice.read_registrations(registrations, taxonomy)
    # Posts by network and by reason first (from the rollups, a few milliseconds): the headline and the
    # methods show them too, and each counted all the posts at a million before revision 0017.
    parts = _gather(
        db_sessions,
        {"by network": lambda s: analytics.by_network(s, f), "reasons": lambda s: analytics.by_reason(s, f)},
    )
    # The layers last among the parts: they read the posts per group and per (session, group) the
    # parts before them remember (``analytics.remembered``). Read after the threads, one after another,
    # they were 0.08 s of the 0.85–1.06 s the report took at a million posts.
    parts |= _gather(
        db_sessions,
        _parts(event, f, names, question_limit, parts, registered=found is not None, t=t)
        | {
            "layers": lambda s: layers.by_group(s, f, found[0] if found else None),
            "layers by session": lambda s: layers.by_session(s, f),
            "speakers": lambda s: layers.speakers(s, f),
        },
    )
    report = Report(
        event=event,
        filters=f,
        generated_at=utcnow(),
        names=names,
        headline=parts["headline"],
        questions_in_pdf=questions_in_pdf,
        language=code,
        headline_names=headline_names(report_networks(db_sessions[0], f), t),
    )
    report.collected_as = collected_as(parts["reasons"], t)
    if parts["published"] is not None and parts["published"] > len(parts["questions"]):
        report.published_questions = parts["published"]
    by_session = _by_session_table(parts["by session"], zone)
    _add_tables(report, parts, by_session)
    _add_figures(report, parts, by_session, list(taxonomy["label"]), t)
    report.notes = {name: t.gettext(note) for name, note in NOTES.items()}
    _add_voice_gap(report, found, parts, labels, t)
    if not parts["speakers"].empty:  # public figures of the programme: named, registrations or not
        report.tables["Speakers"] = parts["speakers"]
    _add_caveats(report, parts, names, t)
    report.findings = findings_rules.findings(report.tables, t=t)
    report.tables["Methods"] = pd.concat(
        [
            parts["methods"],
            pd.DataFrame([(N_("findings"), findings_rules.rules_in_brief(t))], columns=["item", "value"]),
        ],
        ignore_index=True,
    )
    return report


def _parts(
    event: EventConfig,
    f: Filters,
    names: bool,
    question_limit: int | None,
    read: dict[str, Any],
    *,
    registered: bool,
    t: Translator | None = None,
) -> dict[str, Callable[[Session], Any]]:
    """What the report reads, each part a read of one database session; the slowest first (as
    measured at a million posts), so that the threads finish together. ``read``: the posts by
    network and by reason, read before."""
    zone = event.time_zone
    reasons, networks = read["reasons"], read["by network"]
    return {
        "headline": lambda s: headline(s, f, zone, reasons, t),
        "top posts": lambda s: public_posts(s, f),
        "by group": lambda s: analytics.by_group(s, f),
        "contributions": lambda s: contributions_by_session_group(s, f) if registered else None,
        "heat": lambda s: analytics.session_by_group(s, f),
        "methods": lambda s: methods(s, event, f, reasons, networks, t),
        "conversations": lambda s: analytics.conversations(s, f),
        "by session": lambda s: analytics.by_session(s, f),
        "top contributors": lambda s: public_contributors(s, f),
        "questions": lambda s: questions_table(s, f, names, zone, question_limit),
        "published": lambda s: _published_count(s, f) if question_limit is not None else None,
        "heard": listing.heard,
        "qa": lambda s: qa_by_session(s, f),
        "languages": lambda s: analytics.languages(s, f),
        "actions": listing.actions_by_kind,
        "dismissals": listing.dismissals_by_reason,
        "demo": flags.is_demo,
        "illustrative": lambda s: s.scalar(
            select(func.count()).select_from(AgendaSession).where(AgendaSession.illustrative.is_(True))
        ),
    }


def _by_session_table(frame: pd.DataFrame, zone: str) -> pd.DataFrame:
    """The by-session figures as the report shows them: start times in the event's zone, as times
    (the page and the HTML write them "Mon 23 Apr, 09:30", the workbook holds date cells)."""
    by_session = frame.drop(columns=["id", "key"])
    by_session["starts_at"] = pd.to_datetime(
        by_session["starts_at"].map(
            lambda t: to_local(t, zone).replace(tzinfo=None) if isinstance(t, datetime) and pd.notna(t) else None
        )
    )
    return by_session


def _add_tables(report: Report, parts: dict[str, Any], by_session: pd.DataFrame) -> None:
    by_group, heard = parts["by group"], parts["heard"]
    t = report.words()
    report.tables = {
        N_("Headline"): pd.DataFrame(list(report.headline.items()), columns=["figure", "value"]).astype(str),
        N_("By network"): parts["by network"],
        N_("By session"): by_session,
        N_("By group"): by_group.drop(columns=["key", "colour"]),
        N_("Session x group"): parts["heat"],
        N_("Languages"): parts["languages"],
        N_("Top posts"): parts["top posts"],
        N_("Top contributors"): parts["top contributors"],
        N_("Q&A by session"): parts["qa"],
        N_("Questions by group"): heard.drop(columns=["group"]).rename(columns={"label": "group"}),
        # Interactions in neutral words ("repost", not X's "retweet"), as every kind the report names,
        # in the report's language.
        N_("Conversations"): parts["conversations"].assign(
            kind=parts["conversations"]["kind"].map(lambda kind: display.kind_word(kind, t=t))
        ),
        N_("Moderation actions"): parts["actions"],
        N_("Dismissal reasons"): parts["dismissals"],
        N_("Published questions"): parts["questions"],
    }


def _add_figures(
    report: Report, parts: dict[str, Any], by_session: pd.DataFrame, group_labels: list[str], t: Translator
) -> None:
    report.short_titles = figures.short_titles(list(by_session["session"]))
    heard = parts["heard"][parts["heard"]["submitted"] > 0]
    report.figures = {
        "By network": figures.by_network(parts["by network"], t),
        "By session": figures.by_session(by_session, report.short_titles, t),
        "By group": figures.by_group(parts["by group"], t),
        "Session x group": figures.session_group(
            parts["heat"], list(by_session["session"]), group_labels, report.short_titles, t
        ),
        "Questions by group": figures.shares(
            heard,
            "label",
            ("submitted_share", "approved_share", "answered_share"),
            t.gettext("Questions by stakeholder group: submitted, approved, answered"),
            t,
        ),
        "Conversations": figures.conversations(parts["conversations"], group_labels, t),
    }


NOTES = {
    "By network": N_(
        "Collected posts and unique authors per network (authors are counted on each network "
        "they posted on: one person's accounts on two networks are two authors)."
    ),
    "By session": N_("Collected posts, unique authors and questions per agenda session (breaks left out)."),
    "Top posts": N_(
        "Most reposted posts of public accounts (the organisers' directory), each with its network; "
        "posts their authors keep from the public are counted but never shown."
    ),
    "Top contributors": N_(
        "Public accounts only (the organisers' directory): private individuals are counted in "
        "every figure but never named."
    ),
    "Q&A by session": N_("Merged duplicates count once. 'Published' includes answered questions."),
    "Conversations": N_("Who mentions, replies to, quotes and reposts whom, from group to group."),
    "Moderation actions": N_("Every action moderators took, from the audit log."),
    "Dismissal reasons": N_("Why questions were not published (the askers were not told)."),
}


def _add_layers(report: Report, parts: dict[str, Any], t: Translator) -> None:
    """The voice gap in its layers (``analysis.layers``): on stage, from the floor, online, beside
    the registrations; shown only when the programme names speakers with groups."""
    found = parts["layers"]
    if not found["speakers"].sum():
        return
    shown = found[found[list(layers.LAYERS)].sum(axis=1) > 0]
    table = pd.DataFrame(
        {
            "group": shown["group"],
            "speakers": shown["speakers"],
            "questions": shown["questions"],
            "posts": shown["posts"],
            "registered": shown["registered"],
            "speakers share": shown["speakers_share"],
            "questions share": shown["questions_share"],
            "posts share": shown["posts_share"],
            "registered share": shown["registered_share"],
        }
    ).reset_index(drop=True)
    report.tables[N_("Voice gap by layer")] = table
    report.figures["Voice gap by layer"] = figures.shares(
        table,
        "group",
        ("registered share", "speakers share", "questions share", "posts share"),
        t.gettext("Who was heard: on stage, from the floor, online"),
        t,
    )
    observed = layers.observations(found, parts["layers by session"], t)
    report.notes["Voice gap by layer"] = (
        t.gettext(
            "Each group's share of the speakers (the programme's panels), of the questions asked and of the "
            "posts, beside its share of the registrations."
        )
        + " "
        + (" ".join(observed) if observed else t.gettext("No session lacks a group that is a quarter of the room."))
    )


def _add_voice_gap(report: Report, found, parts: dict[str, Any], labels: dict[str, str], t: Translator) -> None:
    """The voice gap where registration counts were ``found``, else a note saying why not."""
    _ = t.gettext
    if found is None:
        report.notes["Voice gap"] = _(
            "No registration counts were provided (data/registrations.csv: group,registered),"
            " so the voice gap cannot be computed."
        )
        return
    counts, illustrative = found
    gap = voice.gap_by_group(parts["by group"], counts)
    per_session = voice.gap_by_session(parts["contributions"], counts, labels)
    report.tables[N_("Voice gap")] = gap
    report.tables[N_("Voice gap by session")] = per_session
    report.figures["Voice gap"] = figures.shares(
        gap,
        "group",
        ("registered share", "posts share", "questions share"),
        _("Voice gap: contributions beside registrations"),
        t,
    )
    _add_layers(report, parts, t)
    report.notes["Voice gap"] = _(
        "Each registered group's share of posts and of questions beside its share of registered participants; "
        "a ratio below {ratio} marks a group under-heard. Posts by unclassified accounts and "
        "questions with no group stated belong to no registered group and are left out of the shares, "
        "as are the organiser's own posts: the organiser speaking is not participation."
    ).format(ratio=f"{voice.UNDER_HEARD:g}" if t.code == i18n.DEFAULT else t.number(voice.UNDER_HEARD))
    report.under_heard = list(gap.loc[gap["under-heard"], "group"])
    if illustrative:
        report.caveats.append(_("The registration counts are illustrative, not the event's real registrations."))


def _add_caveats(report: Report, parts: dict[str, Any], names: bool, t: Translator) -> None:
    _ = t.gettext
    if parts["demo"]:
        report.caveats.append(_("Demo data: a synthetic collection; every account, post and question is invented."))
    if parts["illustrative"]:
        report.caveats.append(
            _(
                "The agenda is illustrative (modelled on the concept note), so session attribution "
                "shows the method, not the event's real programme."
            )
        )
    if not names:
        report.caveats.append(_("Participants' names and affiliations are left out of this report."))


def _gather(db_sessions: list[Session], parts: dict[str, Callable[[Session], Any]]) -> dict[str, Any]:
    """Each part read with a database session of its own: one after another with one, else in threads."""
    if len(db_sessions) == 1:
        return {name: read(db_sessions[0]) for name, read in parts.items()}
    free: queue.SimpleQueue[Session] = queue.SimpleQueue()
    for db_session in db_sessions:
        free.put(db_session)

    def run(read):
        db_session = free.get()
        try:
            return read(db_session)
        finally:
            free.put(db_session)

    with ThreadPoolExecutor(len(db_sessions), thread_name_prefix="report") as pool:
        futures = {name: pool.submit(run, read) for name, read in parts.items()}
        return {name: future.result() for name, future in futures.items()}
