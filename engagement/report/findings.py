"""The report's findings: five to eight sentences, each computed by a stated rule from figures the
report's own tables show, never written by hand.

Each ``Finding`` keeps the cells its sentence was made from (``Source``: table, row, column, value
and the text it reads as), so that a test can look every number of the sentence up in the tables,
and the methods section lists ``RULES`` in the order they are tried. A rule whose table is missing or
empty says nothing; the first ``LIMIT`` sentences are the findings.

The sentences are in the report's language (a ``Translator`` of the staff catalog; English without
one), their numbers and shares in that language's form (Babel).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from babel.numbers import format_decimal

from engagement import i18n
from engagement.i18n import N_, Translator
from engagement.qa.moderation import DISMISS_REASONS

LIMIT = 8
UNDER_HEARD_SHOWN = 2  # the most under-heard groups a finding names, one sentence each


def percent(share: Any, t: Translator | None = None) -> str:
    """A share as the report prints it everywhere: 0.308 → "30.8%" ("30,8 %" in French)."""
    if t is None or t.code == i18n.DEFAULT:
        return f"{share * 100:.1f}%"
    return t.gettext("{value}%").format(value=format_decimal(round(share * 100, 1), "0.0", locale=t.locale))


def count(n: Any, t: Translator | None = None) -> str:
    return f"{int(n):,}" if t is None else t.number(int(n))


def ratio(value: Any, t: Translator | None = None) -> str:
    """A ratio: 1.62 ("1,62" in French)."""
    return f"{value:.2f}" if t is None or t.code == i18n.DEFAULT else format_decimal(value, "0.00", locale=t.locale)


@dataclass(frozen=True)
class Source:
    """One cell of a report table a finding reads: ``table``'s row where ``key`` = ``row``, ``column``."""

    table: str
    key: str
    row: str
    column: str
    value: object
    shown: str  # the value as the sentence prints it


@dataclass
class Finding:
    rule: str
    text: str
    sources: list[Source] = field(default_factory=list)


class _Sentence:
    """Collects the cells a sentence uses while it is written."""

    def __init__(self, tables: dict[str, pd.DataFrame], t: Translator):
        self.tables = tables
        self.sources: list[Source] = []
        self.t = t
        self._ = t.gettext

    def percent(self, value: Any) -> str:
        return percent(value, self.t)

    def count(self, value: Any) -> str:
        return count(value, self.t)

    def cell(self, table: str, key: str, row: object, column: str, shown: Callable[[Any], str] = str) -> str:
        frame = self.tables[table]
        value = frame.loc[frame[key] == row, column].iloc[0]
        text = shown(value)
        self.sources.append(Source(table, key, str(row), column, value, text))
        return text


def _headline(s: _Sentence) -> str | None:
    if "Headline" not in s.tables:
        return None

    def h(name: str) -> str:
        return s.cell("Headline", "figure", name, "value", lambda v: s.count(int(str(v))))

    said = {
        "posts": h("collected posts"),
        "voices": h("unique voices"),
        "groups": h("stakeholder groups heard"),
        "questions": h("questions"),
    }
    answered = s.cell("Headline", "figure", "answered share", "value")
    if answered != "—":
        return s._(
            "{posts} posts by {voices} unique voices from {groups} stakeholder groups, and {questions} "
            "questions, {answered} of them answered."
        ).format(**said, answered=answered)
    return s._(
        "{posts} posts by {voices} unique voices from {groups} stakeholder groups, and {questions} questions."
    ).format(**said)


def _under_heard(s: _Sentence, rank: int) -> str | None:
    gap = s.tables.get("Voice gap")
    if gap is None or gap.empty:
        return None
    under = gap[gap["under-heard"]].assign(_worst=lambda g: g[["posts ratio", "questions ratio"]].min(axis=1))
    under = under.sort_values(["_worst", "group"])
    if len(under) <= rank:
        return None
    group = under["group"].iloc[rank]
    return s._(
        "{group} made up {registered} of registered participants but wrote {posts} of posts and asked "
        "{questions} of questions."
    ).format(
        group=group,
        registered=s.cell("Voice gap", "group", group, "registered share", s.percent),
        posts=s.cell("Voice gap", "group", group, "posts share", s.percent),
        questions=s.cell("Voice gap", "group", group, "questions share", s.percent),
    )


def _most_over_heard(s: _Sentence) -> str | None:
    gap = s.tables.get("Voice gap")
    if gap is None or gap.empty:
        return None
    top = gap.sort_values(["questions ratio", "group"], ascending=[False, True]).iloc[0]
    if top["questions ratio"] <= 1:
        return None
    group = top["group"]
    return s._(
        "{group} asked {questions} of questions, {ratio} times its share of registrations ({registered})."
    ).format(
        group=group,
        questions=s.cell("Voice gap", "group", group, "questions share", s.percent),
        ratio=s.cell("Voice gap", "group", group, "questions ratio", lambda v: ratio(v, s.t)),
        registered=s.cell("Voice gap", "group", group, "registered share", s.percent),
    )


def _most_questions(s: _Sentence) -> str | None:
    qa = s.tables.get("Q&A by session")
    if qa is None or qa.empty or qa["submitted"].max() == 0:
        return None
    title = qa.sort_values("submitted", ascending=False, kind="stable")["session"].iloc[0]
    return s._("{session} drew the most questions: {submitted}, of which {answered} were answered.").format(
        session=title,
        submitted=s.cell("Q&A by session", "session", title, "submitted", s.count),
        answered=s.cell("Q&A by session", "session", title, "answered", s.count),
    )


def _least_answered(s: _Sentence) -> str | None:
    qa = s.tables.get("Q&A by session")
    if qa is None:
        return None
    asked = qa[qa["submitted"] > 0].dropna(subset=["answered share"])
    if len(asked) < 2:
        return None
    title = asked.sort_values("answered share", kind="stable")["session"].iloc[0]
    return s._("{session} answered the smallest share of its questions: {share} ({answered} of {submitted}).").format(
        session=title,
        share=s.cell("Q&A by session", "session", title, "answered share", s.percent),
        answered=s.cell("Q&A by session", "session", title, "answered", s.count),
        submitted=s.cell("Q&A by session", "session", title, "submitted", s.count),
    )


def _session_gap(s: _Sentence) -> str | None:
    by_session = s.tables.get("Voice gap by session")
    if by_session is None or by_session.empty or by_session["groups under-heard"].max() == 0:
        return None
    title = by_session.sort_values("groups under-heard", ascending=False, kind="stable")["session"].iloc[0]
    n = s.cell("Voice gap by session", "session", title, "groups under-heard", s.count)
    return s._("{session} left the most registered groups under-heard: {n} of them.").format(session=title, n=n)


def _conversation(s: _Sentence) -> str | None:
    talk = s.tables.get("Conversations")
    if talk is None or talk.empty:
        return None
    between = talk[talk["from"].notna() & talk["to"].notna() & (talk["from"] != talk["to"])]
    if between.empty:
        return None
    top = between.sort_values("count", ascending=False, kind="stable").iloc[0]
    s.sources += [
        Source("Conversations", "row", str(top.name), "from", top["from"], str(top["from"])),
        Source("Conversations", "row", str(top.name), "to", top["to"], str(top["to"])),
        Source("Conversations", "row", str(top.name), "kind", top["kind"], str(top["kind"])),
        Source("Conversations", "row", str(top.name), "count", top["count"], s.count(top["count"])),
    ]
    return s._("The busiest exchange between two groups: {source} to {target}, {n} times by {kind}.").format(
        source=top["from"], target=top["to"], n=s.count(top["count"]), kind=top["kind"]
    )


def _networks(s: _Sentence) -> str | None:
    by_network = s.tables.get("By network")
    if by_network is None or len(by_network) < 2:
        return None
    from engagement.analysis.display import network_label

    parts = [
        s._("{n} posts on {network}").format(
            n=s.cell("By network", "network", n, "posts", s.count), network=network_label(n)
        )
        for n in by_network.sort_values("posts", ascending=False, kind="stable")["network"]
    ]
    return s._("Posts came from several networks: {networks}.").format(networks=", ".join(parts))


def _dismissals(s: _Sentence) -> str | None:
    actions, reasons = s.tables.get("Moderation actions"), s.tables.get("Dismissal reasons")
    if actions is None or reasons is None or reasons.empty or "dismiss" not in set(actions["action"]):
        return None
    top = reasons.sort_values("count", ascending=False, kind="stable")["reason"].iloc[0]
    return s._("Moderators dismissed {n} questions; the most common reason was “{reason}” ({times}).").format(
        n=s.cell("Moderation actions", "action", "dismiss", "count", s.count),
        reason=s._(str(top)) if str(top) in DISMISS_REASONS else str(top),
        times=s.cell("Dismissal reasons", "reason", top, "count", s.count),
    )


# (name, what the methods section says, the rule): tried in this order, the first LIMIT that say
# something are the findings.
RULES: list[tuple[str, str, Callable[[_Sentence], str | None]]] = [
    ("scale", N_("the collection's size: posts, unique voices, groups, questions and the share answered"), _headline),
    *[
        (
            f"under-heard {n + 1}",
            N_("an under-heard group (voice gap), the lowest ratio of posts or questions to registrations first"),
            lambda s, n=n: _under_heard(s, n),
        )
        for n in range(UNDER_HEARD_SHOWN)
    ],
    (
        "most heard in Q&A",
        N_("the group with the highest ratio of its share of questions to its share of registrations, above 1"),
        _most_over_heard,
    ),
    ("most questions", N_("the session with the most questions submitted"), _most_questions),
    ("least answered", N_("the session with the smallest answered share of its questions"), _least_answered),
    ("session gap", N_("the session with the most registered groups under-heard"), _session_gap),
    ("conversation", N_("the most frequent interaction between two different groups"), _conversation),
    ("networks", N_("posts per network, when there are several"), _networks),
    ("dismissals", N_("questions dismissed and the most frequent reason"), _dismissals),
]


def findings(tables: dict[str, pd.DataFrame], limit: int = LIMIT, t: Translator | None = None) -> list[Finding]:
    """The findings ``tables`` (a report's) support, by ``RULES``, at most ``limit``, in ``t``'s language."""
    t = t or i18n.translator(i18n.DEFAULT, i18n.STAFF)
    found: list[Finding] = []
    for name, _, rule in RULES:
        sentence = _Sentence(tables, t)
        text = rule(sentence)
        if text:
            found.append(Finding(name, text, sentence.sources))
        if len(found) == limit:
            break
    return found


def rules_in_brief(t: Translator | None = None) -> str:
    """The rules, for the methods section (in ``t``'s language)."""
    t = t or i18n.translator(i18n.DEFAULT, i18n.STAFF)
    rules = "; ".join(f"({n}) {t.gettext(says)}" for n, (_, says, _) in enumerate(RULES, start=1))
    return t.gettext(
        "at most {limit} sentences, each from figures in this report's tables, tried in this order: {rules}"
    ).format(limit=t.number(LIMIT), rules=rules)
