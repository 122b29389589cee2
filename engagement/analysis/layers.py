# SQLModel column expressions: mypy types model attributes as their Python values (bool, str, int),
# so every comparison, .in_(), .is_() and select() of them looks wrong to it.
# mypy: disable-error-code="arg-type, attr-defined, call-overload, union-attr"
"""Who was heard, in four layers: each stakeholder group's share of the **speakers** (on stage), of
the **questions** asked and answered (in the room), of the **posts** and unique voices (online),
beside its share of the **registrations** (who came). For the whole event and per session.

Shares are within each layer, over the participants' groups: the organiser's own posts are left
out as in ``analytics.by_group``, and so are speakers, questions and posts without a group (an
unclassified author is counted in the "public" group, as everywhere else). A session's speakers are
its panel; its questions are those asked in it; its posts those attributed to it.

``observations`` turns the figures into sentences an organiser can act on, each with its counts
beside it and each computed only from the rows it is given:

- a session with no speaker from a group that is at least a quarter of the registrations;
- a group on stage (speakers) but silent online (no post in the event);
- a group asking questions but never on stage.
"""

from __future__ import annotations

from collections import Counter
from typing import cast

import pandas as pd
from babel.numbers import format_percent
from sqlalchemy import select
from sqlmodel import Session

from engagement.analysis import analytics
from engagement.analysis.analytics import ALL, Filters
from engagement.i18n import Translator, translator
from engagement.rules.event import speaker_fields
from engagement.storage.models import AgendaSession, QuestionStatus

LAYERS = ("speakers", "questions", "posts", "registered")
# A group this share of the room (or more) is expected on a session's panel.
ROOM_SHARE = 0.25
# Folded into another question: counted there, not twice.
NOT_ASKED = (QuestionStatus.merged,)


def _speakers(session: Session, f: Filters) -> list[tuple[int | None, str, str]]:
    """(session id, session title, group) per speaker entry of the sessions these filters cover."""
    rows = []
    for item in _covered(session, f):
        for speaker in item.speakers:
            if speaker.get("group"):
                rows.append((item.id, item.title, speaker["group"]))
    return rows


def _covered(session: Session, f: Filters) -> list[AgendaSession]:
    """The agenda sessions these filters cover, in agenda order."""
    covered = []
    for item in session.scalars(select(AgendaSession).order_by(AgendaSession.starts_at, AgendaSession.key)):
        if f.sessions is not None and item.id not in f.sessions:
            continue
        if (f.start and item.ends_at.replace(tzinfo=f.start.tzinfo) <= f.start) or (
            f.end and item.starts_at.replace(tzinfo=f.end.tzinfo) >= f.end
        ):
            continue
        covered.append(item)
    return covered


def speakers(session: Session, f: Filters = ALL) -> pd.DataFrame:
    """Every speaker of the sessions these filters cover, once by name: affiliation and role as the
    programme gives them (either stored shape, ``event.speaker_fields``), group label and sessions,
    in agenda order. Speakers are public figures of the programme: shown by name."""
    labels = dict(zip(analytics.groups(session)["key"], analytics.groups(session)["label"], strict=True))
    found: dict[str, dict] = {}
    for item in _covered(session, f):
        for stored in item.speakers:
            name, affiliation, role = speaker_fields(stored)
            row = found.setdefault(
                name.casefold(),
                {
                    "name": name,
                    "affiliation": affiliation,
                    "role": role,
                    "group": labels.get(stored.get("group") or "", "") if stored.get("group") else "",
                    "sessions": [],
                },
            )
            if item.title not in row["sessions"]:
                row["sessions"].append(item.title)
    rows = [{**row, "sessions": "; ".join(row["sessions"])} for row in found.values()]
    return pd.DataFrame(rows, columns=["name", "affiliation", "role", "group", "sessions"])


def _questions(session: Session, f: Filters, by_session: bool) -> list[tuple]:
    """([session id,] group key, questions, answered) of the questions with a group, summed from
    ``analytics.question_counts`` (read once for every question figure of a page)."""
    counts: dict[tuple, list[int]] = {}
    for row in analytics.question_counts(session, f):
        if row.group_key is None or row.status in NOT_ASKED:
            continue
        found = counts.setdefault((row.session_id, row.group_key) if by_session else (row.group_key,), [0, 0])
        found[0] += row.questions
        # Answered, or archived once answered, as the report counts them.
        found[1] += row.questions if row.was(QuestionStatus.answered) else 0
    return [(*key, n, answered) for key, (n, answered) in counts.items()]


def _share(frame: pd.DataFrame, column: str) -> pd.Series:
    total = frame[column].sum()
    return frame[column] / total if total else frame[column] * 0.0


def by_group(session: Session, f: Filters = ALL, registrations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per group, in the taxonomy's order: speakers, questions (and answered), posts (and voices),
    registered, and each layer's share. ``registrations``: (key, registered), e.g. the report's
    ``voice.read_registrations``; None: no registrations layer (zeros)."""
    groups = analytics.groups(session)
    speakers = Counter(group for _, _, group in _speakers(session, f))
    questions = {key: (n, int(answered or 0)) for key, n, answered in _questions(session, f, by_session=False)}
    online = analytics.by_group(session, f).set_index("key")
    registered = (
        dict(zip(registrations["key"], registrations["registered"], strict=True)) if registrations is not None else {}
    )
    rows = []
    for g in groups.itertuples():
        asked, answered = questions.get(g.key, (0, 0))
        posts = int(online.at[g.key, "posts"]) if g.key in online.index else 0
        voices = int(online.at[g.key, "authors"]) if g.key in online.index else 0
        rows.append(
            (g.key, g.label, g.colour, speakers.get(g.key, 0), asked, answered, posts, voices, registered.get(g.key, 0))
        )
    frame = pd.DataFrame(
        rows,
        columns=["key", "group", "colour", "speakers", "questions", "answered", "posts", "voices", "registered"],
    )
    for layer in LAYERS:
        frame[f"{layer}_share"] = _share(frame, layer)
    return frame


def by_session(session: Session, f: Filters = ALL, posts: bool = True) -> pd.DataFrame:
    """Per (session, group) with any of the layers: speakers, questions, posts. Sessions in agenda
    order, groups in the taxonomy's; breaks and posts between sessions left out. ``posts=False``: the
    posts left at 0, for ``observations``, which reads the panels only (the Groups page: the posts per
    (session, group) cost 0.18–0.37 s of CPU at a million posts on SQLite, read for nothing there)."""
    titles = {row.id: row.title for row in analytics.sessions(session).itertuples()}
    order = {key: n for n, key in enumerate(analytics.groups(session)["key"])}
    labels = dict(zip(analytics.groups(session)["key"], analytics.groups(session)["label"], strict=True))
    cells: dict[tuple[int, str], list[int]] = {}
    for session_id, _, group in _speakers(session, f):
        cells.setdefault((session_id, group), [0, 0, 0])[0] += 1
    for session_id, group, n, _ in _questions(session, f, by_session=True):
        cells.setdefault((session_id, group), [0, 0, 0])[1] += n
    for session_id, posted_as, n in analytics.posts_by_session_group(session, f) if posts else ():
        if session_id in titles:
            cells.setdefault((session_id, cast(str, posted_as)), [0, 0, 0])[2] += int(n)
    agenda = {sid: n for n, sid in enumerate(titles)}
    rows = [
        (sid, titles[sid], key, labels.get(key, key), *counts)
        for (sid, key), counts in sorted(cells.items(), key=lambda c: (agenda.get(c[0][0], 0), order.get(c[0][1], 0)))
        if sid in titles
    ]
    return pd.DataFrame(rows, columns=["session_id", "session", "key", "group", "speakers", "questions", "posts"])


def observations(groups: pd.DataFrame, sessions: pd.DataFrame, t: Translator | None = None) -> list[str]:
    """Sentences an organiser can act on, each with its counts, from ``by_group`` and ``by_session``;
    in ``t``'s language (the staff catalog; English without one), its numbers in that language's form."""
    t = t or translator("en", "staff")
    found = []
    if groups["registered"].sum():
        large = groups[groups["registered_share"] >= ROOM_SHARE]
        for g in large.itertuples():
            for sid, title in sessions.drop_duplicates("session_id")[["session_id", "session"]].itertuples(index=False):
                panel = sessions[(sessions["session_id"] == sid) & (sessions["speakers"] > 0)]
                if panel.empty:
                    continue  # no panel known: nothing to say of it
                if g.key not in set(panel["key"]):
                    speakers = int(panel["speakers"].sum())
                    found.append(
                        t.ngettext(
                            "{session}: no speaker from {group}, {share} of registrations ({n} speaker).",
                            "{session}: no speaker from {group}, {share} of registrations ({n} speakers).",
                            speakers,
                        ).format(
                            session=title, group=g.group, share=_percent(g.registered_share, t), n=t.number(speakers)
                        )
                    )
    for g in groups[(groups["speakers"] > 0) & (groups["posts"] == 0)].itertuples():
        found.append(
            t.gettext("{group}: {n} on stage, no post online.").format(group=g.group, n=t.number(int(g.speakers)))
        )
    for g in groups[(groups["questions"] > 0) & (groups["speakers"] == 0)].itertuples():
        found.append(
            t.ngettext(
                "{group}: {n} question asked, never on stage.",
                "{group}: {n} questions asked, never on stage.",
                int(g.questions),
            ).format(group=g.group, n=t.number(int(g.questions)))
        )
    return found


def _percent(share: float, t: Translator) -> str:
    """A share as the observations print it: "25%" (whole per cent, the reader's sign and spacing)."""
    return format_percent(share, locale=t.locale)
