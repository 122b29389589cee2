"""The report's findings: five to eight sentences, each computed by a stated rule from figures the
report's own tables show, never written by hand.

Each ``Finding`` keeps the cells its sentence was made from (``Source``: table, row, column, value
and the text it reads as), so that a test can look every number of the sentence up in the tables,
and the methods section lists ``RULES`` in the order they are tried. A rule whose table is missing or
empty says nothing; the first ``LIMIT`` sentences are the findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

LIMIT = 8
UNDER_HEARD_SHOWN = 2  # the most under-heard groups a finding names, one sentence each


def percent(share: Any) -> str:
    """A share as the report prints it everywhere: 0.308 → "30.8%"."""
    return f"{share * 100:.1f}%"


def count(n: Any) -> str:
    return f"{int(n):,}"


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

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.tables = tables
        self.sources: list[Source] = []

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
        return s.cell("Headline", "figure", name, "value", lambda v: count(int(str(v))))

    text = (
        f"{h('collected posts')} posts by {h('unique voices')} unique voices from "
        f"{h('stakeholder groups heard')} stakeholder groups, and {h('questions')} questions"
    )
    answered = s.cell("Headline", "figure", "answered share", "value")
    return text + (f", {answered} of them answered." if answered != "—" else ".")


def _under_heard(s: _Sentence, rank: int) -> str | None:
    gap = s.tables.get("Voice gap")
    if gap is None or gap.empty:
        return None
    under = gap[gap["under-heard"]].assign(_worst=lambda g: g[["posts ratio", "questions ratio"]].min(axis=1))
    under = under.sort_values(["_worst", "group"])
    if len(under) <= rank:
        return None
    group = under["group"].iloc[rank]
    return (
        f"{group} made up {s.cell('Voice gap', 'group', group, 'registered share', percent)} of registered "
        f"participants but wrote {s.cell('Voice gap', 'group', group, 'posts share', percent)} of posts and asked "
        f"{s.cell('Voice gap', 'group', group, 'questions share', percent)} of questions."
    )


def _most_over_heard(s: _Sentence) -> str | None:
    gap = s.tables.get("Voice gap")
    if gap is None or gap.empty:
        return None
    top = gap.sort_values(["questions ratio", "group"], ascending=[False, True]).iloc[0]
    if top["questions ratio"] <= 1:
        return None
    group = top["group"]
    return (
        f"{group} asked {s.cell('Voice gap', 'group', group, 'questions share', percent)} of questions, "
        f"{s.cell('Voice gap', 'group', group, 'questions ratio', lambda v: f'{v:.2f}')} times its share of "
        f"registrations ({s.cell('Voice gap', 'group', group, 'registered share', percent)})."
    )


def _most_questions(s: _Sentence) -> str | None:
    qa = s.tables.get("Q&A by session")
    if qa is None or qa.empty or qa["submitted"].max() == 0:
        return None
    title = qa.sort_values("submitted", ascending=False, kind="stable")["session"].iloc[0]
    return (
        f"{title} drew the most questions: "
        f"{s.cell('Q&A by session', 'session', title, 'submitted', count)}, of which "
        f"{s.cell('Q&A by session', 'session', title, 'answered', count)} were answered."
    )


def _least_answered(s: _Sentence) -> str | None:
    qa = s.tables.get("Q&A by session")
    if qa is None:
        return None
    asked = qa[qa["submitted"] > 0].dropna(subset=["answered share"])
    if len(asked) < 2:
        return None
    title = asked.sort_values("answered share", kind="stable")["session"].iloc[0]
    return (
        f"{title} answered the smallest share of its questions: "
        f"{s.cell('Q&A by session', 'session', title, 'answered share', percent)} "
        f"({s.cell('Q&A by session', 'session', title, 'answered', count)} of "
        f"{s.cell('Q&A by session', 'session', title, 'submitted', count)})."
    )


def _session_gap(s: _Sentence) -> str | None:
    by_session = s.tables.get("Voice gap by session")
    if by_session is None or by_session.empty or by_session["groups under-heard"].max() == 0:
        return None
    title = by_session.sort_values("groups under-heard", ascending=False, kind="stable")["session"].iloc[0]
    n = s.cell("Voice gap by session", "session", title, "groups under-heard", count)
    return f"{title} left the most registered groups under-heard: {n} of them."


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
        Source("Conversations", "row", str(top.name), "count", top["count"], count(top["count"])),
    ]
    return (
        f"The busiest exchange between two groups: {top['from']} to {top['to']}, "
        f"{count(top['count'])} times by {top['kind']}."
    )


def _networks(s: _Sentence) -> str | None:
    by_network = s.tables.get("By network")
    if by_network is None or len(by_network) < 2:
        return None
    from engagement.analysis.display import network_label

    parts = [
        f"{s.cell('By network', 'network', n, 'posts', count)} posts on {network_label(n)}"
        for n in by_network.sort_values("posts", ascending=False, kind="stable")["network"]
    ]
    return "Posts came from several networks: " + ", ".join(parts) + "."


def _dismissals(s: _Sentence) -> str | None:
    actions, reasons = s.tables.get("Moderation actions"), s.tables.get("Dismissal reasons")
    if actions is None or reasons is None or reasons.empty or "dismiss" not in set(actions["action"]):
        return None
    top = reasons.sort_values("count", ascending=False, kind="stable")["reason"].iloc[0]
    return (
        f"Moderators dismissed {s.cell('Moderation actions', 'action', 'dismiss', 'count', count)} questions; "
        f"the most common reason was “{top}” "
        f"({s.cell('Dismissal reasons', 'reason', top, 'count', count)})."
    )


# (name, what the methods section says, the rule): tried in this order, the first LIMIT that say
# something are the findings.
RULES: list[tuple[str, str, Callable[[_Sentence], str | None]]] = [
    ("scale", "the collection's size: posts, unique voices, groups, questions and the share answered", _headline),
    *[
        (
            f"under-heard {n + 1}",
            "an under-heard group (voice gap), the lowest ratio of posts or questions to registrations first",
            lambda s, n=n: _under_heard(s, n),
        )
        for n in range(UNDER_HEARD_SHOWN)
    ],
    (
        "most heard in Q&A",
        "the group with the highest ratio of its share of questions to its share of registrations, above 1",
        _most_over_heard,
    ),
    ("most questions", "the session with the most questions submitted", _most_questions),
    ("least answered", "the session with the smallest answered share of its questions", _least_answered),
    ("session gap", "the session with the most registered groups under-heard", _session_gap),
    ("conversation", "the most frequent interaction between two different groups", _conversation),
    ("networks", "posts per network, when there are several", _networks),
    ("dismissals", "questions dismissed and the most frequent reason", _dismissals),
]


def findings(tables: dict[str, pd.DataFrame], limit: int = LIMIT) -> list[Finding]:
    """The findings ``tables`` (a report's) support, by ``RULES``, at most ``limit``."""
    found: list[Finding] = []
    for name, _, rule in RULES:
        sentence = _Sentence(tables)
        text = rule(sentence)
        if text:
            found.append(Finding(name, text, sentence.sources))
        if len(found) == limit:
            break
    return found


def rules_in_brief() -> str:
    """The rules, for the methods section."""
    return f"at most {LIMIT} sentences, each from figures in this report's tables, tried in this order: " + "; ".join(
        f"({n}) {says}" for n, (_, says, _) in enumerate(RULES, start=1)
    )
