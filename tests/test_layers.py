"""The four layers of who was heard (speakers, questions, posts, registrations), against hand counts
on a small fixture, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlmodel import select

from engagement.analysis import layers
from engagement.collection.records import PostRecord, UserRecord
from engagement.collection.store import store_posts
from engagement.rules.attribution import Attributor
from engagement.rules.classification import Classifier
from engagement.rules.event import load_event
from engagement.rules.reasons import Reasons
from engagement.storage import db
from engagement.storage.models import AgendaSession, Question, QuestionStatus

pytestmark = pytest.mark.both_databases

# Panel 1 (11:15–13:00 Vienna) and Panel 2 (14:30–16:15), 23 April 2018.
PANEL_1 = datetime(2018, 4, 23, 9, 30, tzinfo=UTC)
PANEL_2 = datetime(2018, 4, 23, 12, 45, tzinfo=UTC)


def post(n: int, author: str, at: datetime) -> PostRecord:
    return PostRecord(
        platform_id=str(900 + n),
        current_id=str(900 + n),
        author_platform_id=author,
        created_at=at,
        text=f"Post {n} #cthb18",
        language="en",
        kind="original",
        referenced=[],
        referenced_platform_id=None,
        in_reply_to_user_id=None,
        conversation_id=str(900 + n),
        hashtags=["cthb18"],
        mentions=[],
        urls=[],
        media_count=0,
        retweets=0,
        replies=0,
        likes=0,
        quotes=0,
        impressions=None,
        collected=True,
        raw={},
    )


@pytest.fixture
def fixture_db(db_url):
    people = [
        UserRecord("u1", "ngo_one", "Ana", "NGO worker", None, 10, False),
        UserRecord("u2", "ngo_two", "Bo", "Works at an NGO", None, 10, False),
        UserRecord("u3", "ministry", "Cy", "Ministry of the Interior", None, 10, False),
    ]
    # Panel 1: u1 twice, u3 once; Panel 2: u2 once. Civil society 3 posts by 2 voices, government 1.
    records = [post(1, "u1", PANEL_1), post(2, "u1", PANEL_1 + timedelta(minutes=5)), post(3, "u3", PANEL_1)]
    records.append(post(4, "u2", PANEL_2))
    with db.writing(db_url) as session:
        event = load_event()
        store_posts(
            session,
            records,
            people,
            classifier=Classifier.from_database(session),
            attributor=Attributor.from_database(session, event.grace),
            reasons=Reasons.from_database(session, event),
        )
        sessions = {s.key: s for s in session.exec(select(AgendaSession)).all()}
        for item in sessions.values():
            item.speakers = []  # the shipped opening's and closing's: only this fixture's panels count
        one, two = sessions["d1-panel-1"], sessions["d1-panel-2"]
        # Panel 1 in the shape stored before affiliation and role were apart (the role held both).
        one.speakers = [
            {"name": "A", "group": "government", "role": "Ministry of Justice (chair)"},
            {"name": "B", "group": "government", "role": ""},
            {"name": "C", "group": "osce", "role": "OSCE Secretariat"},
        ]
        two.speakers = [
            {"name": "D", "group": "civil_society", "affiliation": "La Strada International", "role": "presenter"},
            {"name": "E", "group": "survivor", "affiliation": "", "role": "speaker"},
        ]
        asked = [
            (one, "civil_society", QuestionStatus.answered),
            (one, "civil_society", QuestionStatus.approved),
            (one, "government", QuestionStatus.pending),
            (two, "academia", QuestionStatus.answered),
            (two, "academia", QuestionStatus.merged),  # folded into the other: not asked twice
            (two, None, QuestionStatus.approved),  # no group stated: in no layer
        ]
        for n, (item, group, status) in enumerate(asked):
            at = item.starts_at.replace(tzinfo=UTC) + timedelta(minutes=10 + n)
            session.add(
                Question(
                    session_id=item.id,
                    text=f"Question {n}?",
                    language="en",
                    group_key=group,
                    status=status,
                    participant_hash=f"p{n}",
                    origin="app",
                    created_at=at,
                    updated_at=at,
                )
            )
    db.dispose_engines()
    return db_url


REGISTRATIONS = pd.DataFrame(
    [("government", 50), ("civil_society", 30), ("academia", 10), ("osce", 10)], columns=["key", "registered"]
)


def test_the_four_layers_per_group_match_the_hand_counts(fixture_db):
    with db.reading(fixture_db) as session:
        frame = layers.by_group(session, registrations=REGISTRATIONS).set_index("key")
    counted = frame.loc[["government", "osce", "civil_society", "survivor", "academia"]]
    assert counted[["speakers", "questions", "answered", "posts", "voices", "registered"]].values.tolist() == [
        [2, 1, 0, 1, 1, 50],
        [1, 0, 0, 0, 0, 10],
        [1, 2, 1, 3, 2, 30],
        [1, 0, 0, 0, 0, 0],
        [0, 2 - 1, 1, 0, 0, 10],
    ]
    assert frame["speakers_share"]["government"] == pytest.approx(2 / 5)
    assert frame["questions_share"]["civil_society"] == pytest.approx(2 / 4)
    assert frame["posts_share"]["civil_society"] == pytest.approx(3 / 4)
    assert frame["registered_share"]["government"] == pytest.approx(0.5)
    assert frame[[f"{layer}_share" for layer in layers.LAYERS]].sum().round(9).tolist() == [1, 1, 1, 1]


def test_per_session_the_observations_and_the_speakers(fixture_db):
    with db.reading(fixture_db) as session:
        groups = layers.by_group(session, registrations=REGISTRATIONS)
        sessions = layers.by_session(session)
    cells = {(r.session, r.key): (r.speakers, r.questions, r.posts) for r in sessions.itertuples()}
    panel_1 = next(s for s in sessions["session"] if s.startswith("Panel 1"))
    panel_2 = next(s for s in sessions["session"] if s.startswith("Panel 2"))
    assert cells[(panel_1, "government")] == (2, 1, 1)
    assert cells[(panel_1, "civil_society")] == (0, 2, 2)
    assert cells[(panel_1, "osce")] == (1, 0, 0)
    assert cells[(panel_2, "civil_society")] == (1, 0, 1)
    assert cells[(panel_2, "academia")] == (0, 1, 0)
    found = layers.observations(groups, sessions)
    # Government, half the room, is not on Panel 2's panel, nor civil society (30 %) on Panel 1's;
    # OSCE and survivors spoke and never posted; academia asked and never spoke.
    assert f"{panel_2}: no speaker from Participating State (government), 50% of registrations (2 speakers)." in found
    assert f"{panel_1}: no speaker from NGO / civil society, 30% of registrations (3 speakers)." in found
    assert "OSCE structures: 1 on stage, no post online." in found
    assert "Survivor voices: 1 on stage, no post online." in found
    assert "Academia and think-tanks: 1 question asked, never on stage." in found
    assert len(found) == 5
    # The speakers, with affiliation and role from either stored shape (Panel 1's is the shape of before).
    with db.reading(fixture_db) as session:
        listed = layers.speakers(session)
    assert listed[["name", "affiliation", "role"]].values.tolist() == [
        ["A", "Ministry of Justice", "chair"],
        ["B", "", "speaker"],
        ["C", "OSCE Secretariat", "speaker"],
        ["D", "La Strada International", "presenter"],
        ["E", "", "speaker"],
    ]
    assert listed["sessions"].str.startswith("Panel 1:").tolist() == [True, True, True, False, False]
    assert listed["group"].tolist()[3] == "NGO / civil society"


def test_the_groups_and_sessions_pages_show_the_layers(fixture_db, monkeypatch, event_dir, dialect):
    import json

    from .helpers.pages import page

    if dialect != "sqlite":
        pytest.skip("the pages read the same functions on both databases; once is enough")
    (event_dir / "registrations.csv").write_text(
        "group,registered\n" + "".join(f"{k},{n}\n" for k, n in REGISTRATIONS.values)
    )
    monkeypatch.setenv("EVENT_DATA_DIR", str(event_dir))
    at = page(fixture_db, monkeypatch, "views/groups.py", role="organiser")
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    chart = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if "on stage" in json.loads(c.proto.spec)["layout"]["title"]["text"]
    )
    assert [t["name"] for t in chart["data"]] == [
        name for _, name, _ in __import__("engagement.analysis.charts", fromlist=["x"]).LAYER_MEASURES
    ], titles
    shown = "\n".join(t.value for t in at.text)
    assert "Academia and think-tanks: 1 question asked, never on stage." in shown
    at = page(fixture_db, monkeypatch, "views/sessions.py", role="organiser")
    assert any("speakers" in frame.value.columns.str.lower() for frame in at.dataframe), "no layers table"


def test_the_report_carries_the_layers_beside_the_voice_gap(fixture_db, event_dir, monkeypatch, tmp_path):
    from engagement import report
    from engagement.rules.event import load_event

    (event_dir / "registrations.csv").write_text(
        "group,registered\n" + "".join(f"{k},{n}\n" for k, n in REGISTRATIONS.values)
    )
    monkeypatch.setenv("EVENT_DATA_DIR", str(event_dir))
    with db.reading(fixture_db) as session:
        content = report.build(session, load_event())
    table = content.tables["Voice gap by layer"].set_index("group")
    assert table.loc["Participating State (government)", ["speakers", "questions", "posts", "registered"]].tolist() == [
        2,
        1,
        1,
        50,
    ]
    assert table["speakers share"].sum() == pytest.approx(1)
    assert "Voice gap by layer" in content.figures
    speakers = content.tables["Speakers"].set_index("name")
    assert speakers.loc["A", ["affiliation", "role", "group"]].tolist() == [
        "Ministry of Justice",
        "chair",
        "Participating State (government)",
    ]
    (event_dir / "registrations.csv").unlink()  # no registrations: no voice gap, the speakers still listed
    with db.reading(fixture_db) as session:
        without = report.build(session, load_event())
    assert "Voice gap by layer" not in without.tables and len(without.tables["Speakers"]) == 5
    assert "Academia and think-tanks: 1 question asked, never on stage." in content.notes["Voice gap by layer"]
