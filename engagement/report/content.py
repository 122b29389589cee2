# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload, union-attr"
"""What the post-event summary says, computed once for the page, the HTML, the workbook and the PDF.

Every figure comes from SQL over the same filters as the Analyse pages, the networks among them: a
report of one network is ``build(…, Filters(networks=("bluesky",)))``. Posts are counted per network
("By network") and kinds named in neutral words, with each network's own word where that network is
in the report ("reposts (retweets)"). Participants' tokens and hashes never enter the report; names
and affiliations only when asked for; posts hidden from the public are counted, never shown.
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
from sqlalchemy import func, select
from sqlmodel import Session

from engagement.analysis import analytics, display, facts, layers
from engagement.analysis.analytics import ALL, Filters
from engagement.qa import listing
from engagement.report import figures, voice
from engagement.report import findings as findings_rules
from engagement.rules.event import NETWORKS, EventConfig
from engagement.storage import flags
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

PUBLISHED = (S.approved, S.on_screen, S.answered)
# Sessions to build the report with (db.reading_together): its queries are independent, and the
# database releases Python's lock while it works.
THREADS = min(4, os.cpu_count() or 1)
# Published questions the summary page lists (the most voted); the files have them all.
PAGE_QUESTIONS = 500
KIND_HEADINGS = display.KIND_WORDS  # neutral words; kind_headings adds the networks' own
REASON_HEADINGS = {
    "hashtag": "carried the hashtag",
    "addressed": "addressed the organiser without it",
    "own": "the organiser's own",
}


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


def collected_as(by_reason: pd.DataFrame) -> str:
    """'Of 3,000 posts, 2,410 carried the hashtag, 420 addressed the organiser without it, 170 were
    the organiser's own.'"""
    brief = reasons_in_brief(by_reason)
    total = int(by_reason["posts"].sum())
    hashtag, addressed, own = brief.values()
    text = (
        f"Of {total:,} posts, {hashtag:,} carried the hashtag, {addressed:,} addressed the organiser "
        f"without it, {own:,} were the organiser's own"
    )
    other = total - hashtag - addressed - own
    return text + (f", {other:,} matched no current term." if other else ".")


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


def _published(column=Question.status):
    return column.in_(PUBLISHED) | ((column == S.archived) & Question.previous_status.in_(PUBLISHED))


def _answered():
    return (Question.status == S.answered) | (
        (Question.status == S.archived) & (Question.previous_status == S.answered)
    )


def _question_where(f: Filters) -> list:
    return f.questions() + [Question.status != S.merged]


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


def headline(session: Session, f: Filters, zone: str, by_reason: pd.DataFrame | None = None) -> dict[str, object]:
    """The summary's headline figures; ``by_reason``: ``analytics.by_reason`` under ``f`` when the
    caller has it already."""
    # Posts with a known author, as on the Analyse pages (the rollups count those).
    volume = facts.by_time(session, f)
    kinds = dict(session.execute(select(volume.c.kind, facts.whole_sum(volume.c.posts)).group_by(volume.c.kind)).all())
    totals = analytics.totals(session, f)
    questions, answered, votes = session.execute(
        select(func.count(), func.count().filter(_answered()), func.coalesce(func.sum(Question.votes), 0)).where(
            *_question_where(f)
        )
    ).one()
    peak = analytics.peak_minute(session, f)
    reasons = reasons_in_brief(analytics.by_reason(session, f) if by_reason is None else by_reason)
    agenda = analytics.sessions(session)
    with_posts = set(session.scalars(select(volume.c.session_id).distinct()))
    with_questions = set(session.scalars(select(Question.session_id).distinct().where(*_question_where(f))))
    wanted = agenda if f.sessions is None else agenda[agenda["id"].isin(f.sessions)]
    covered = sum(1 for sid in wanted["id"] if int(sid) in with_posts | with_questions)
    peak_text = "—"
    if peak is not None:
        minute, n = peak
        moment = to_local(pd.Timestamp(minute * 60, unit="s", tz="UTC").to_pydatetime(), zone)
        peak_text = f"{moment:%a %d %b %H:%M} ({n:,} posts)"
    return {
        "collected posts": totals["posts"],
        **{name: kinds.get(k, 0) for k, name in kind_headings(report_networks(session, f)).items()},
        **reasons,
        "unique voices": totals["voices"],
        "stakeholder groups heard": totals["groups"],
        "questions": questions,
        "answered share": f"{answered / questions:.0%}" if questions else "—",
        "votes": int(votes),
        "peak minute": peak_text,
        "sessions covered": f"{covered} of {len(wanted)}",
    }


def qa_by_session(session: Session, f: Filters) -> pd.DataFrame:
    rows = session.execute(
        select(
            Question.session_id,
            func.count(),
            func.count().filter(_published()),
            func.count().filter(_answered()),
            func.count().filter(
                (Question.status == S.dismissed)
                | ((Question.status == S.archived) & (Question.previous_status == S.dismissed))
            ),
            func.coalesce(func.sum(Question.votes), 0),
        )
        .where(*_question_where(f))
        .group_by(Question.session_id)
    ).all()
    counts = {r[0]: r[1:] for r in rows}
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
    per_author = facts.per_author(f, by=("session_id",), leave_out=facts.organiser_authors())
    posts = session.execute(
        select(per_author.c.session_id, Author.group_key, facts.whole_sum(per_author.c.n))
        .join(per_author, per_author.c.author_id == Author.id)
        .group_by(per_author.c.session_id, Author.group_key)
    ).all()
    questions = session.execute(
        select(Question.session_id, Question.group_key, func.count())
        .where(*_question_where(f))
        .group_by(Question.session_id, Question.group_key)
    ).all()
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


def public_posts(session: Session, f: Filters, limit: int = 10) -> pd.DataFrame:
    order = (Post.retweets.desc(), Post.likes.desc(), Post.id)
    public = select(Author.id).where(Author.group_source.in_([GroupSource.directory, GroupSource.moderator]))
    # The top posts' ids first (from the covering index), then their text.
    top = (
        select(Post.id)
        .where(*f.posts(), Post.kind != "retweet", Post.author_id.in_(public), Post.hidden.is_(False))
        .order_by(*order)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(Post.retweets, Post.likes, Author.handle, Post.text, Post.current_id, Post.platform, Post.platform_id)
        .select_from(Post)
        .join(top, top.c.id == Post.id)
        .join(Author, Author.id == Post.author_id)
        .order_by(*order)
    ).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows], columns=["retweets", "likes", "handle", "text", "id", "network", "post"]
    )
    return display.with_links(frame)


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
    return (
        session.scalar(
            select(func.count())
            .select_from(Question)
            .where(*_question_where(f), Question.forgotten.is_(False), _published())
        )
        or 0
    )


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
) -> pd.DataFrame:
    """How the figures were made; ``by_reason`` and ``by_network``: those of ``analytics`` under ``f``
    when the caller has them already."""
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
    when = lambda m: f"{to_local(m, zone):%d %b %Y %H:%M}" if m else "—"  # noqa: E731
    rows = [
        ("event", event.name),
        ("collection query", event.query()),
        (
            "why posts were collected",
            "decided from each post against the event's hashtags and accounts, the first that holds: "
            "the organiser's own (posted by an account in event.toml's accounts), carried the hashtag, "
            "replied to the organiser, mentioned the organiser. " + collected_as(by_reason),
        ),
        ("posts from", when(first)),
        ("posts until", when(last)),
        ("time zone", zone),
        ("networks", networks_in_brief(by_network)),
        ("filters", describe_filters(f, zone)),
        (
            "sources",
            "; ".join(f"{source}: {n} run(s), {when(a)} – {when(b)}" for source, n, a, b in sources) or "none recorded",
        ),
        (
            "classification coverage",
            f"{coverage['share']:.1%} of collected posts come from classified authors "
            f"({coverage['classified_posts']:,} of {coverage['posts']:,})",
        ),
        (
            "authors by how their group was decided",
            ", ".join(f"{k.removeprefix('authors_')}: {v:,}" for k, v in coverage.items() if k.startswith("authors_")),
        ),
        (
            "questions counted",
            "every question submitted, merged duplicates once; 'published' = approved, shown "
            "on screen or answered; dismissals are counted, never shown",
        ),
        (
            "public accounts",
            "contributors and posts named in this report are those of accounts in the organisers' "
            "directory (or classified by a moderator): organisations and offices",
        ),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def networks_in_brief(by_network: pd.DataFrame) -> str:
    """'X: 2,190 posts by 410 authors; Bluesky: 810 posts by 150 authors' (``analytics.by_network``)."""
    return (
        "; ".join(
            f"{display.network_label(row.network)}: {row.posts:,} posts by {row.authors:,} authors"
            for row in by_network.itertuples()
        )
        or "no posts"
    )


def describe_filters(f: Filters, zone: str) -> str:
    parts = []
    if f.start or f.end:
        parts.append(f"from {to_local(f.start, zone):%d %b %Y %H:%M}" if f.start else "")
        parts.append(f"until {to_local(f.end, zone):%d %b %Y %H:%M}" if f.end else "")
    for name, values in (
        ("sessions", f.sessions),
        ("groups", f.groups),
        ("kinds", f.kinds),
        ("languages", f.languages),
        ("collected as", f.reasons),
        ("networks", None if f.networks is None else tuple(display.network_label(n) for n in f.networks)),
    ):
        if values is not None:
            parts.append(f"{name}: {', '.join(map(str, values))}")
    return "; ".join(p for p in parts if p) or "none: the whole collection"


def build(
    db_sessions: Session | Sequence[Session],
    event: EventConfig,
    f: Filters = ALL,
    *,
    names: bool = False,
    registrations: Path | str | None = None,
    question_limit: int | None = None,
    questions_in_pdf: bool = False,
) -> Report:
    """Everything the summary shows. ``names``: include participants' names and affiliations;
    ``question_limit``: list only the most voted published questions when there are more (a page
    shows those; ``with_all_questions`` reads the rest for the files); ``questions_in_pdf``: every
    published question in an appendix of the HTML and PDF too. Given several database sessions
    on one snapshot (``db.reading_together``), its queries run in as many threads."""
    db_sessions = [db_sessions] if isinstance(db_sessions, Session) else list(db_sessions)
    zone = event.time_zone
    taxonomy = analytics.groups(db_sessions[0])
    labels = dict(zip(taxonomy["key"], taxonomy["label"], strict=True))
    found = voice.read_registrations(registrations, taxonomy)
    # Posts by network and by reason first (from the rollups, a few milliseconds): the headline and the
    # methods show them too, and each counted all the posts at a million before revision 0017.
    parts = _gather(
        db_sessions,
        {"by network": lambda s: analytics.by_network(s, f), "reasons": lambda s: analytics.by_reason(s, f)},
    )
    parts |= _gather(db_sessions, _parts(event, f, names, question_limit, parts, registered=found is not None))
    parts["layers"] = layers.by_group(db_sessions[0], f, found[0] if found else None)
    parts["layers by session"] = layers.by_session(db_sessions[0], f)
    parts["speakers"] = layers.speakers(db_sessions[0], f)
    report = Report(
        event=event,
        filters=f,
        generated_at=utcnow(),
        names=names,
        headline=parts["headline"],
        questions_in_pdf=questions_in_pdf,
    )
    report.collected_as = collected_as(parts["reasons"])
    if parts["published"] is not None and parts["published"] > len(parts["questions"]):
        report.published_questions = parts["published"]
    by_session = _by_session_table(parts["by session"], zone)
    _add_tables(report, parts, by_session)
    _add_figures(report, parts, by_session, list(taxonomy["label"]))
    report.notes = dict(NOTES)
    _add_voice_gap(report, found, parts, labels)
    if not parts["speakers"].empty:  # public figures of the programme: named, registrations or not
        report.tables["Speakers"] = parts["speakers"]
    _add_caveats(report, parts, names)
    report.findings = findings_rules.findings(report.tables)
    report.tables["Methods"] = pd.concat(
        [parts["methods"], pd.DataFrame([("findings", findings_rules.rules_in_brief())], columns=["item", "value"])],
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
) -> dict[str, Callable[[Session], Any]]:
    """What the report reads, each part a read of one database session; the slowest first (as
    measured at a million posts), so that the threads finish together. ``read``: the posts by
    network and by reason, read before."""
    zone = event.time_zone
    reasons, networks = read["reasons"], read["by network"]
    return {
        "headline": lambda s: headline(s, f, zone, reasons),
        "top posts": lambda s: public_posts(s, f),
        "by group": lambda s: analytics.by_group(s, f),
        "contributions": lambda s: contributions_by_session_group(s, f) if registered else None,
        "heat": lambda s: analytics.session_by_group(s, f),
        "methods": lambda s: methods(s, event, f, reasons, networks),
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
    report.tables = {
        "Headline": pd.DataFrame(list(report.headline.items()), columns=["figure", "value"]).astype(str),
        "By network": parts["by network"],
        "By session": by_session,
        "By group": by_group.drop(columns=["key", "colour"]),
        "Session x group": parts["heat"],
        "Languages": parts["languages"],
        "Top posts": parts["top posts"],
        "Top contributors": parts["top contributors"],
        "Q&A by session": parts["qa"],
        "Questions by group": heard.drop(columns=["group"]).rename(columns={"label": "group"}),
        # Interactions in neutral words ("repost", not X's "retweet"), as every kind the report names.
        "Conversations": parts["conversations"].assign(kind=parts["conversations"]["kind"].map(display.kind_word)),
        "Moderation actions": parts["actions"],
        "Dismissal reasons": parts["dismissals"],
        "Published questions": parts["questions"],
    }


def _add_figures(report: Report, parts: dict[str, Any], by_session: pd.DataFrame, group_labels: list[str]) -> None:
    report.short_titles = figures.short_titles(list(by_session["session"]))
    heard = parts["heard"][parts["heard"]["submitted"] > 0]
    report.figures = {
        "By network": figures.by_network(parts["by network"]),
        "By session": figures.by_session(by_session, report.short_titles),
        "By group": figures.by_group(parts["by group"]),
        "Session x group": figures.session_group(
            parts["heat"], list(by_session["session"]), group_labels, report.short_titles
        ),
        "Questions by group": figures.shares(
            heard,
            "label",
            ("submitted_share", "approved_share", "answered_share"),
            "Questions by stakeholder group: submitted, approved, answered",
        ),
        "Conversations": figures.conversations(parts["conversations"], group_labels),
    }


NOTES = {
    "By network": "Collected posts and unique authors per network (authors are counted on each network "
    "they posted on: one person's accounts on two networks are two authors).",
    "By session": "Collected posts, unique authors and questions per agenda session (breaks left out).",
    "Top posts": "Most reposted posts of public accounts (the organisers' directory), each with its network; "
    "posts their authors keep from the public are counted but never shown.",
    "Top contributors": "Public accounts only (the organisers' directory): private individuals are counted in "
    "every figure but never named.",
    "Q&A by session": "Merged duplicates count once. 'Published' includes answered questions.",
    "Conversations": "Who mentions, replies to, quotes and reposts whom, from group to group.",
    "Moderation actions": "Every action moderators took, from the audit log.",
    "Dismissal reasons": "Why questions were not published (the askers were not told).",
}


def _add_layers(report: Report, parts: dict[str, Any]) -> None:
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
    report.tables["Voice gap by layer"] = table
    report.figures["Voice gap by layer"] = figures.shares(
        table,
        "group",
        ("registered share", "speakers share", "questions share", "posts share"),
        "Who was heard: on stage, from the floor, online",
    )
    observed = layers.observations(found, parts["layers by session"])
    report.notes["Voice gap by layer"] = (
        "Each group's share of the speakers (the programme's panels), of the questions asked and of the "
        "posts, beside its share of the registrations. "
        + (" ".join(observed) if observed else "No session lacks a group that is a quarter of the room.")
    )


def _add_voice_gap(report: Report, found, parts: dict[str, Any], labels: dict[str, str]) -> None:
    """The voice gap where registration counts were ``found``, else a note saying why not."""
    if found is None:
        report.notes["Voice gap"] = (
            "No registration counts were provided (data/registrations.csv: group,registered),"
            " so the voice gap cannot be computed."
        )
        return
    counts, illustrative = found
    gap = voice.gap_by_group(parts["by group"], counts)
    per_session = voice.gap_by_session(parts["contributions"], counts, labels)
    report.tables["Voice gap"] = gap
    report.tables["Voice gap by session"] = per_session
    report.figures["Voice gap"] = figures.shares(
        gap,
        "group",
        ("registered share", "posts share", "questions share"),
        "Voice gap: contributions beside registrations",
    )
    _add_layers(report, parts)
    report.notes["Voice gap"] = (
        "Each registered group's share of posts and of questions beside its share of registered participants; "
        f"a ratio below {voice.UNDER_HEARD:g} marks a group under-heard. Posts by unclassified accounts and "
        "questions with no group stated belong to no registered group and are left out of the shares, "
        "as are the organiser's own posts: the organiser speaking is not participation."
    )
    report.under_heard = list(gap.loc[gap["under-heard"], "group"])
    if illustrative:
        report.caveats.append("The registration counts are illustrative, not the event's real registrations.")


def _add_caveats(report: Report, parts: dict[str, Any], names: bool) -> None:
    if parts["demo"]:
        report.caveats.append("Demo data: a synthetic collection; every account, post and question is invented.")
    if parts["illustrative"]:
        report.caveats.append(
            "The agenda is illustrative (modelled on the concept note), so session attribution "
            "shows the method, not the event's real programme."
        )
    if not names:
        report.caveats.append("Participants' names and affiliations are left out of this report.")


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
