"""ingest agenda-import: the real pretalx and Indico exports, re-imports, changed programmes, the
other formats by round trip, and what it refuses."""

from __future__ import annotations

import copy
import csv
import json
import threading
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import icalendar
import pandas as pd
import pytest
from sqlmodel import select

from engagement.collection.jsonl import import_file
from engagement.programme import agenda, reading
from engagement.programme.importing import import_programme
from engagement.programme.model import ProgrammeError
from engagement.rules import admin
from engagement.rules.admin import load_event_files
from engagement.rules.event import load_agenda, load_event, parse_speakers
from engagement.storage import db
from engagement.storage.models import AgendaSession, Post

from .helpers.worker import ingest

DATA = Path(__file__).parent / "data"
PRETALX = DATA / "agenda" / "pretalx-democon.schedule.json"
INDICO = DATA / "agenda" / "indico-timetable-export.example.json"
TWEETS = DATA / "x-api-v2" / "two_tweets.jsonl"  # one post, 2021-05-18 19:24:56 UTC


@pytest.fixture
def folder(event_dir, db_url, monkeypatch) -> Path:
    monkeypatch.setenv("EVENT_DATA_DIR", str(event_dir))
    return event_dir


def rows(folder: Path) -> list[dict[str, str]]:
    return agenda.read_rows(folder / "agenda.csv")


def sessions(url: str) -> dict[str, AgendaSession]:
    with db.reading(url) as session:
        found = {s.key: s for s in session.exec(select(AgendaSession)).all()}
        for item in found.values():
            session.expunge(item)
    return found


def pretalx() -> dict:
    return json.loads(PRETALX.read_text())


def talks(data: dict):
    for day in data["schedule"]["conference"]["days"]:
        for room, events in day["rooms"].items():
            for event in events:
                yield day, room, event


def test_the_pretalx_export_gives_its_36_talks_over_3_days_and_2_rooms_in_their_zone(folder, db_url):
    result = import_programme([str(PRETALX)], url=db_url)
    assert result.sessions == 36 and len(result.changes.added) == 36
    assert len(result.changes.removed) == 14  # the shipped, modelled agenda it replaces
    stored = sessions(db_url)
    assert len(stored) == 36
    assert {s.room for s in stored.values()} == {"Gray Room", "Tan Room"}
    assert len({s.starts_at.date() for s in stored.values()}) == 3
    first = next(s for s in stored.values() if s.title == "Focused 5thgeneration hardware")
    # "date": "2020-12-14T09:00:00+01:00", "duration": "00:30": the offset wins over time_zone_name "UTC".
    assert first.starts_at.replace(tzinfo=UTC) == datetime(2020, 12, 14, 8, 0, tzinfo=UTC)
    assert first.ends_at - first.starts_at == timedelta(minutes=30)
    # frab persons carry no affiliation; every one of them is a speaker.
    assert first.speakers == [
        {"name": "Brian Robinson", "group": "", "affiliation": "", "role": "speaker", "group_source": "unclassified"}
    ]
    written = {r["source_id"]: r for r in rows(folder)}
    assert written["8079583e-8321-506c-95af-fd2903a5f075"]["start"] == "2020-12-14 09:00"  # Vienna, +01:00


def test_the_indico_example_export_keeps_its_zone(folder, db_url):
    result = import_programme([str(INDICO)], url=db_url)
    assert result.sessions == 1
    (only,) = sessions(db_url).values()
    assert only.title == "Contrib 1" and only.room == "160-1-009"
    # 16:00 Europe/Zurich on 29 April 2013 (summer time, +02:00).
    assert only.starts_at.replace(tzinfo=UTC) == datetime(2013, 4, 29, 14, 0, tzinfo=UTC)
    assert rows(folder)[0]["source_id"] == "a137346t0"


def test_a_reimport_changes_nothing(folder, db_url):
    import_programme([str(PRETALX)], url=db_url)
    before = (folder / "agenda.csv").read_bytes()
    again = import_programme([str(PRETALX)], url=db_url)
    assert not again.changes.any and again.changes.unchanged == 36 and again.loaded is None
    assert (folder / "agenda.csv").read_bytes() == before


def test_a_changed_programme_changes_exactly_that_keeps_keys_and_reattributes(folder, db_url, tmp_path):
    import_programme([str(PRETALX)], url=db_url)
    import_file(TWEETS, url=db_url)
    keys_before = {r["source_id"]: r["key"] for r in rows(folder)}
    data = pretalx()
    everything = list(talks(data))
    _, _, moved = everything[0]
    _, removed_room, removed = everything[1]
    tan = sum(1 for _, _, e in everything if e["room"] == "Tan Room" and e is not removed)
    moved["date"] = "2021-05-18T21:00:00+02:00"  # over the stored post's time
    moved["duration"] = "01:00"
    for day in data["schedule"]["conference"]["days"]:
        day["rooms"][removed_room] = [e for e in day["rooms"].get(removed_room, []) if e is not removed]
        for event in day["rooms"].get("Tan Room", []):
            event["room"] = "Tan Hall"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data))

    result = import_programme([str(changed)], url=db_url)

    assert len(result.changes.moved) == 1 and moved["title"] in result.changes.moved[0]
    assert [line.split(": ", 1)[1] for line in result.changes.removed] == [removed["title"]]
    assert len(result.changes.rooms) == tan and not result.changes.added and not result.changes.renamed
    keys_after = {r["source_id"]: r["key"] for r in rows(folder)}
    assert keys_after == {g: k for g, k in keys_before.items() if g != removed["guid"]}
    with db.reading(db_url) as session:
        post = session.exec(select(Post).where(Post.platform_id == "1394735776701816833")).one()
        attributed = session.get(AgendaSession, post.session_id)
        assert attributed is not None and attributed.key == keys_before[moved["guid"]]


def test_titles_a_spreadsheet_would_run_are_written_as_text_and_read_back_as_they_were(folder, db_url, tmp_path):
    data = pretalx()
    everything = list(talks(data))
    titles = ['=HYPERLINK("http://example.org","x")', "+1 more", "-minus", "@handle", "'=quoted"]
    for (_, _, event), title in zip(everything, titles, strict=False):
        event["title"] = title
    everything[0][2]["persons"] = [{"public_name": "=Evil(1)", "affiliation": "+Org"}]
    changed = tmp_path / "formulas.json"
    changed.write_text(json.dumps(data))
    import_programme([str(changed)], url=db_url)

    with (folder / "agenda.csv").open(newline="", encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    assert '\'=HYPERLINK("http://example.org","x")' in cells and "''=quoted" in cells
    stored = {s.title for s in sessions(db_url).values()}
    assert set(titles) <= stored
    (first,) = [s for s in sessions(db_url).values() if s.title == titles[0]]
    assert [(p["name"], p["affiliation"]) for p in first.speakers] == [("=Evil 1", "+Org")]
    assert not import_programme([str(changed)], url=db_url).changes.any  # read back losslessly


def test_titles_per_language_come_in_and_the_organisers_own_stay(folder, db_url, tmp_path):
    data = pretalx()
    (_, _, first), (_, _, second) = list(talks(data))[:2]
    english = first["title"]
    first["title"] = {"en": english, "de": "Fokussierte Hardware", "fr": ""}  # pretalx's API form
    path = tmp_path / "languages.json"
    path.write_text(json.dumps(data))
    import_programme([str(path)], url=db_url)
    written = {r["source_id"]: r for r in rows(folder)}
    assert (written[first["guid"]]["title"], written[first["guid"]]["title_de"]) == (english, "Fokussierte Hardware")
    assert "title_fr" not in written[first["guid"]]  # an empty translation is none

    edited = rows(folder)  # an organiser adds French titles of their own
    for row in edited:
        row["title_fr"] = "Deuxième" if row["source_id"] == second["guid"] else ""
    (folder / "agenda.csv").write_text(agenda.render(edited), encoding="utf-8")
    assert not import_programme([str(path)], url=db_url).changes.any
    assert {r["source_id"]: r for r in rows(folder)}[second["guid"]]["title_fr"] == "Deuxième"
    load_event_files(db_url)  # ingest config, after the hand edit
    with db.reading(db_url) as session:
        titles = {s.title: s.titles for s in session.exec(select(AgendaSession)).all()}
    assert titles[english] == {"de": "Fokussierte Hardware"} and titles[second["title"]] == {"fr": "Deuxième"}


def indico() -> dict:
    return json.loads(INDICO.read_text())


def test_the_indico_export_reimported_changes_nothing_and_a_changed_copy_exactly_that(folder, db_url, tmp_path):
    import_programme([str(INDICO)], url=db_url)
    import_file(TWEETS, url=db_url)  # one post, 2021-05-18 19:24:56 UTC: between sessions
    before = (folder / "agenda.csv").read_bytes()
    again = import_programme([str(INDICO)], url=db_url)
    assert not again.changes.any and again.loaded is None and (folder / "agenda.csv").read_bytes() == before
    (key,) = sessions(db_url)

    data = indico()
    day = data["results"]["137346"].pop("20130429")
    contribution = day["c0"]
    # Moved over the stored post (21:00–21:30 in Zurich, 19:00–19:30 UTC), its room renamed, and a second talk.
    contribution["startDate"] = {"date": "2021-05-18", "tz": "Europe/Zurich", "time": "21:00:00"}
    contribution["endDate"] = {"date": "2021-05-18", "tz": "Europe/Zurich", "time": "21:30:00"}
    contribution["room"] = "160-1-010"
    second = {**copy.deepcopy(contribution), "id": "c1", "uniqueId": "a137346t1", "title": "Contrib 2"}
    second["presenters"] = [{"firstName": "Ana", "familyName": "Lopez", "affiliation": "CERN"}]
    second["startDate"] = {"date": "2021-05-18", "tz": "Europe/Zurich", "time": "22:00:00"}
    second["endDate"] = {"date": "2021-05-18", "tz": "Europe/Zurich", "time": "22:30:00"}
    data["results"]["137346"]["20210518"] = {"c0": contribution, "c1": second}
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data))

    result = import_programme([str(changed)], url=db_url)
    assert (len(result.changes.moved), len(result.changes.rooms), len(result.changes.added)) == (1, 1, 1)
    assert not result.changes.removed and not result.changes.renamed
    stored = sessions(db_url)
    assert key in stored and stored[key].room == "160-1-010"
    added = next(s for s in stored.values() if s.title == "Contrib 2")
    assert [(p["name"], p["affiliation"], p["role"]) for p in added.speakers] == [("Ana Lopez", "CERN", "presenter")]

    def attributed() -> str | None:
        with db.reading(db_url) as session:
            post = session.exec(select(Post).where(Post.platform_id == "1394735776701816833")).one()
            return session.get(AgendaSession, post.session_id).key if post.session_id else None

    assert attributed() == key
    # The real export again, by the command, which prints what changed: Contrib 2 removed, c0 back.
    db.dispose_engines()
    done = ingest("agenda-import", str(INDICO), url=db_url, EVENT_DATA_DIR=str(folder))
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    assert [line for line in printed if line.startswith("removed")] == [
        f"removed  {next(iter(stored.keys() - {key}))}: Contrib 2"
    ]
    assert (
        sum(line.startswith("moved") for line in printed) == 1 and sum(line.startswith("room") for line in printed) == 1
    )
    assert set(sessions(db_url)) == {key} and attributed() is None
    assert (folder / "agenda.csv").read_bytes() == before


def frab_xml(data: dict) -> bytes:
    conference = data["schedule"]["conference"]
    root = ElementTree.Element("schedule")
    head = ElementTree.SubElement(root, "conference")
    ElementTree.SubElement(head, "title").text = conference["title"]
    ElementTree.SubElement(head, "time_zone_name").text = conference["time_zone_name"]
    for day in conference["days"]:
        day_element = ElementTree.SubElement(root, "day", date=day["date"], index=str(day["index"]))
        for room, events in day["rooms"].items():
            room_element = ElementTree.SubElement(day_element, "room", name=room)
            for event in events:
                item = ElementTree.SubElement(room_element, "event", guid=event["guid"], id=str(event["id"]))
                for name in ("date", "start", "duration", "room", "title", "type", "track"):
                    ElementTree.SubElement(item, name).text = str(event[name])
                persons = ElementTree.SubElement(item, "persons")
                for person in event["persons"]:
                    ElementTree.SubElement(persons, "person", id=str(person["id"])).text = person["public_name"]
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def ics(data: dict) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//tests//agenda-import//EN")
    calendar.add("version", "2.0")
    for _, _, event in talks(data):
        start = datetime.fromisoformat(event["date"]).astimezone(UTC)
        hours, minutes = map(int, event["duration"].split(":"))
        item = icalendar.Event()
        item.add("uid", event["guid"])
        item.add("summary", event["title"])
        item.add("dtstart", start)
        item.add("dtend", start + timedelta(hours=hours, minutes=minutes))
        item.add("location", event["room"])
        names = ", ".join(p["public_name"] for p in event["persons"])
        item.add("description", f"{event['abstract']}\n\nSpeakers: {names}")
        calendar.add_component(item)
    return calendar.to_ical()


@pytest.mark.parametrize("write", [frab_xml, ics], ids=["schedule.xml", "ics"])
def test_schedule_xml_and_ical_round_trips_give_the_same_agenda(folder, db_url, tmp_path, write):
    import_programme([str(PRETALX)], url=db_url)
    from_json = {
        r["source_id"]: {k: r[k] for k in ("key", "title", "start", "end", "room", "speakers")} for r in rows(folder)
    }
    other = tmp_path / "programme"
    other.write_bytes(write(pretalx()))
    result = import_programme([str(other)], url=db_url)
    assert not result.changes.added and not result.changes.removed
    assert not result.changes.moved and not result.changes.rooms and not result.changes.speakers
    again = {
        r["source_id"]: {k: r[k] for k in ("key", "title", "start", "end", "room", "speakers")} for r in rows(folder)
    }
    assert again == from_json


def test_an_indico_calendar_gives_speakers_with_their_affiliations():
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//tests//agenda-import//EN")
    calendar.add("version", "2.0")
    item = icalendar.Event()
    item.add("uid", "indico-contribution-42@indico.example.org")
    item.add("summary", "Panel 2")
    item.add("dtstart", datetime(2018, 4, 23, 12, 30, tzinfo=UTC))
    item.add("dtend", datetime(2018, 4, 23, 14, 0, tzinfo=UTC))
    # As Indico writes it: the abstract, then one line of "Name (Affiliation)" separated by commas.
    item.add("description", "About partners.\n\nSpeakers: Ana Lopez (CERN), Bo Li (Ministry of Justice), Cy Nobody")
    calendar.add_component(item)
    (entry,) = reading.parse(calendar.to_ical(), "event.ics", zone_name="Europe/Vienna").entries
    assert [(s.name, s.affiliation, s.role) for s in entry.speakers] == [
        ("Ana Lopez", "CERN", "speaker"),
        ("Bo Li", "Ministry of Justice", "speaker"),
        ("Cy Nobody", "", "speaker"),
    ]
    assert agenda.speakers_text(entry.speakers, {}) == "Ana Lopez: CERN; Bo Li: Ministry of Justice; Cy Nobody"


def test_indico_session_blocks_carry_conveners_and_presenters_with_affiliations():
    block = {
        "entryType": "Session",
        "id": "s1",
        "uniqueId": "a1s1",
        "title": "Panel 2",
        "slotTitle": "Civil society",
        "room": "Neuer Saal",
        "startDate": {"date": "2018-04-23", "time": "14:30:00", "tz": "Europe/Vienna"},
        "endDate": {"date": "2018-04-23", "time": "16:00:00", "tz": "Europe/Vienna"},
        "conveners": [{"firstName": "Ana", "familyName": "Moderator", "affiliation": "OSCE"}],
        "entries": {
            "c1": {
                "entryType": "Contribution",
                "presenters": [{"name": "Bo Speaker", "affiliation": "La Strada International"}],
            },
            "c2": {
                "entryType": "Contribution",
                "presenters": [{"name": "Bo Speaker", "affiliation": "La Strada International"}],
            },
        },
    }
    coffee = {
        "entryType": "Break",
        "id": "b1",
        "title": "Coffee",
        "startDate": {"date": "2018-04-23", "time": "16:00:00", "tz": "Europe/Vienna"},
        "endDate": {"date": "2018-04-23", "time": "16:30:00", "tz": "Europe/Vienna"},
    }
    # A block past midnight is listed under both days: kept once.
    data = {"results": {"1": {"20180423": {"s1": block, "b1": coffee}, "20180424": {"s1": copy.deepcopy(block)}}}}
    programme = reading.parse(json.dumps(data).encode(), "timetable.json")
    panel, pause = programme.entries
    assert panel.title == "Panel 2: Civil society" and pause.kind == "break"
    assert [(s.name, s.affiliation, s.role) for s in panel.speakers] == [
        ("Ana Moderator", "OSCE", "convener"),
        ("Bo Speaker", "La Strada International", "presenter"),
    ]
    written = agenda.speakers_text(panel.speakers, {})
    assert written == "Ana Moderator: OSCE [convener]; Bo Speaker: La Strada International [presenter]"
    assert [(s["name"], s["affiliation"], s["role"]) for s in parse_speakers(written, "agenda.csv")] == [
        ("Ana Moderator", "OSCE", "convener"),
        ("Bo Speaker", "La Strada International", "presenter"),
    ]
    assert panel.starts_at == datetime(2018, 4, 23, 12, 30, tzinfo=UTC)


def test_speakers_get_groups_from_the_directory_then_the_rules_then_an_organiser(folder, db_url, tmp_path):
    person = lambda name, affiliation: {"name": name, "affiliation": affiliation}  # noqa: E731
    block = {
        "entryType": "Session",
        "uniqueId": "a1s1",
        "title": "Panel",
        "room": "Neuer Saal",
        "startDate": {"date": "2018-04-23", "time": "14:30:00", "tz": "Europe/Vienna"},
        "endDate": {"date": "2018-04-23", "time": "16:00:00", "tz": "Europe/Vienna"},
        "conveners": [person("Ana Chair", "La Strada International")],  # a directory organisation
        "entries": {
            "c1": {"entryType": "Contribution", "presenters": [person("Bo Official", "Ministry of Justice")]},
            "c2": {"entryType": "Contribution", "presenters": [person("Cy Unknown", "Somewhere Ltd")]},
        },
    }
    path = tmp_path / "timetable.json"
    path.write_text(json.dumps({"results": {"1": {"20180423": {"s1": block}}}}))
    result = import_programme([str(path)], url=db_url)
    assert result.loaded is not None and result.loaded.speakers_unmatched == 1
    (panel,) = sessions(db_url).values()
    found = {s["name"]: (s["affiliation"], s["role"], s["group"], s["group_source"]) for s in panel.speakers}
    assert found == {
        "Ana Chair": ("La Strada International", "convener", "civil_society", "directory"),
        "Bo Official": ("Ministry of Justice", "presenter", "government", "rule"),
        "Cy Unknown": ("Somewhere Ltd", "presenter", "", "unclassified"),
    }
    with db.reading(db_url) as session:
        listed = admin.speakers_frame(session)
    assert listed["name"].iloc[0] == "Cy Unknown" and pd.isna(listed["group"].iloc[0])  # the unmatched first
    assert listed.set_index("name").loc["Ana Chair", ["affiliation", "role"]].tolist() == [
        "La Strada International",
        "convener",
    ]
    chosen = listed.copy()
    chosen.loc[chosen["name"] == "Cy Unknown", "group"] = "business"
    with db.writing(db_url) as session:
        assert admin.set_speaker_groups(session, admin.speaker_choices(listed, chosen)) == 1
    with db.reading(db_url) as session:
        download = admin.agenda_frame(session, load_event(folder))["speakers"].iloc[0]
    # What the organiser chose goes into the agenda download; what the files decide is found again.
    assert download == (
        "Ana Chair: La Strada International [convener]; Bo Official: Ministry of Justice [presenter]; "
        "Cy Unknown (business): Somewhere Ltd [presenter]"
    )


def test_groups_kinds_and_hashtags_given_by_the_organisers_survive_a_reimport(folder, db_url):
    import_programme([str(PRETALX)], url=db_url)
    edited = rows(folder)
    target = edited[0]
    target["kind"] = "plenary"
    target["hashtags"] = "#democonopen"
    name = target["speakers"]
    target["speakers"] = f"{name} (civil_society)"
    (folder / "agenda.csv").write_text(agenda.render(edited), encoding="utf-8")
    result = import_programme([str(PRETALX)], url=db_url)
    assert not result.changes.any
    after = {r["key"]: r for r in rows(folder)}[target["key"]]
    assert (after["kind"], after["hashtags"], after["speakers"]) == (
        "plenary",
        "#democonopen",
        f"{name} (civil_society)",
    )


def broken(tmp_path: Path, change) -> Path:
    data = pretalx()
    change(data, list(talks(data)))
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    return path


def _no_start(data, events):
    del events[3][2]["date"], events[3][2]["start"]


def _ends_first(data, events):
    events[4][2]["duration"] = "-1:00"


def _duplicate(data, events):
    day, room, event = events[5]
    twin = copy.deepcopy(event)
    twin["guid"] = "00000000-0000-0000-0000-000000000001"
    day["rooms"][room].append(twin)


def _zone(data, events):
    data["schedule"]["conference"]["time_zone_name"] = "Europe/Atlantis"


def _end_first(data, events):
    events[2][2]["end"] = "2020-12-14T08:00:00+01:00"


def _no_title(data, events):
    events[1][2]["title"] = " "


def _no_id(data, events):
    del events[1][2]["guid"]


def _same_id(data, events):
    events[7][2]["guid"] = events[6][2]["guid"]


def _not_a_programme(data, events):
    data.clear()
    data["talks"] = []


@pytest.mark.parametrize(
    "change, reason",
    [
        (_no_start, "has no start"),
        (_ends_first, "is not HH:MM"),
        (_end_first, "ends at or before its start"),
        (_duplicate, "with the same title and room"),
        (_zone, "unknown time zone 'Europe/Atlantis'"),
    ],
    ids=[
        "no start",
        "negative duration",
        "end before start",
        "overlapping duplicate",
        "unknown zone",
    ],
)
def test_a_bad_programme_is_refused_with_the_entry_and_nothing_is_written(folder, db_url, tmp_path, change, reason):
    before = (folder / "agenda.csv").read_bytes()
    keys = set(sessions(db_url))
    with pytest.raises(ProgrammeError, match=reason) as refused:
        import_programme([str(broken(tmp_path, change))], url=db_url)
    assert "broken.json" in str(refused.value)
    assert (folder / "agenda.csv").read_bytes() == before and set(sessions(db_url)) == keys


def test_more_bad_programmes_are_refused_and_nothing_is_written(folder, db_url, tmp_path):
    # The other refusal kinds, on one database (each of the parametrised cases builds its own).
    before = (folder / "agenda.csv").read_bytes()
    keys = set(sessions(db_url))
    for change, reason in (
        (_no_title, "has no title"),
        (_no_id, "has no guid"),
        (_same_id, "is also"),
        (_not_a_programme, "not a programme this reads"),
    ):
        with pytest.raises(ProgrammeError, match=reason) as refused:
            import_programme([str(broken(tmp_path, change))], url=db_url)
        assert "broken.json" in str(refused.value), change.__name__
        assert (folder / "agenda.csv").read_bytes() == before and set(sessions(db_url)) == keys, change.__name__


def test_event_files_the_loader_refuses_undo_the_import_whole(folder, db_url, tmp_path):
    # The programme is good; the directory beside it names a group that does not exist: ingest config
    # would refuse it, so the import is refused and agenda.csv and the database stay as they were.
    before = (folder / "agenda.csv").read_bytes()
    keys = set(sessions(db_url))
    directory = folder / "stakeholder_directory.csv"
    directory.write_text(directory.read_text() + "account,someone_new,Nowhere,no_such_group,,\n")
    with pytest.raises(ProgrammeError, match="no_such_group"):
        import_programme([str(PRETALX)], url=db_url)
    assert (folder / "agenda.csv").read_bytes() == before and set(sessions(db_url)) == keys
    assert not list(folder.glob(".agenda-*"))  # no scratch file left either


def test_files_that_are_not_programmes_are_refused(tmp_path):
    for name, body in (
        ("a.json", b'{"x": 1}'),
        ("b.xml", b"<html></html>"),
        ("c.txt", b"hello"),
        ("d.ics", b"BEGIN:VCALENDAR\nBROKEN"),
    ):
        path = tmp_path / name
        path.write_bytes(body)
        with pytest.raises(ProgrammeError, match=name):
            reading.read(str(path))


def test_without_an_event_file_one_is_written_from_the_programme(tmp_path, db_url, monkeypatch):
    empty = tmp_path / "new-event"
    empty.mkdir()
    monkeypatch.setenv("EVENT_DATA_DIR", str(empty))
    with pytest.raises(ProgrammeError, match="EVENT_HASHTAGS"):
        import_programme([str(PRETALX)], url=db_url, zone_name="Europe/Berlin")
    monkeypatch.setenv("EVENT_HASHTAGS", "#democon")
    calendar = tmp_path / "programme.ics"
    calendar.write_bytes(ics(pretalx()))
    with pytest.raises(ProgrammeError, match="--timezone"):  # a calendar in UTC names no zone of its own
        import_programme([str(calendar)], url=db_url)
    with pytest.raises(ProgrammeError, match="stakeholder_groups.csv"):  # refused whole: no file of it left
        import_programme([str(PRETALX)], url=db_url, zone_name="Europe/Berlin")
    assert not list(empty.iterdir())
    for name in ("stakeholder_groups.csv", "stakeholder_directory.csv"):
        (empty / name).write_text((Path(__file__).parents[1] / "data" / name).read_text())
    import_programme([str(PRETALX)], url=db_url, zone_name="Europe/Berlin")
    event = load_event(empty)
    assert (event.name, event.time_zone, str(event.start_date), str(event.end_date)) == (
        "DemoCon",
        "Europe/Berlin",
        "2020-12-14",
        "2020-12-16",
    )
    assert len(load_agenda(event, empty)) == 36


class Indico(BaseHTTPRequestHandler):
    body = INDICO.read_bytes()
    seen: list[str | None] = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        self.seen.append(self.headers.get("Authorization"))
        if self.headers.get("Authorization") != "Bearer indp_testtoken123":
            self.send_response(403)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_an_indico_url_is_fetched_with_the_token_and_the_token_never_shown(folder, db_url, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Indico)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/export/timetable/137346.json"
    try:
        with pytest.raises(ProgrammeError, match="INDICO_TOKEN") as refused:
            import_programme([url], url=db_url)
        assert "HTTP 403" in str(refused.value)
        monkeypatch.setenv("INDICO_TOKEN", "indp_testtoken123")
        result = import_programme([url], url=db_url)
    finally:
        server.shutdown()
    assert result.sessions == 1 and Indico.seen[-1] == "Bearer indp_testtoken123"
    assert "indp_testtoken123" not in (folder / "agenda.csv").read_text()


def test_the_demo_programme_keeps_the_shipped_keys_and_puts_speakers_in_every_panel(folder, db_url):
    shipped = {r["key"]: r for r in rows(folder)}
    demo = Path(__file__).parents[1] / "engagement" / "demo" / "programme.schedule.json"
    result = import_programme([str(demo)], url=db_url)
    assert not result.changes.added and not result.changes.removed and not result.changes.moved
    imported = {r["key"]: r for r in rows(folder)}
    assert imported.keys() == shipped.keys()
    assert all(imported[k]["hashtags"] == shipped[k]["hashtags"] for k in shipped)
    panels = [r for r in imported.values() if r["kind"] in ("panel", "plenary", "side_event")]
    assert panels and all(r["speakers"] for r in panels)
    # A group the shipped agenda gives a speaker holds for them in every session (the closing too).
    assert "Vincenzo Amendola (government)" in imported["d2-closing"]["speakers"]
