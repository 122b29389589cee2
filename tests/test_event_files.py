"""The organisers' files: the shipped ones load; broken ones say which file, which line and why."""

import csv
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from engagement.rules import admin
from engagement.rules.event import (
    EventConfigError,
    load_agenda,
    load_directory,
    load_event,
    load_groups,
    needs_neutralising,
    parse_speakers,
    plain_agenda_cell,
    speaker_fields,
    speaker_text,
)
from engagement.rules.sync import sync_event
from engagement.rules.translations import label_in, labels_in, title_in, titles_in
from engagement.storage import db
from engagement.storage.models import AgendaSession, StakeholderGroup


def test_the_shipped_event_files_load(event_dir):
    event = load_event(event_dir)
    assert event.hashtags == ["#cthb18"] and event.time_zone == "Europe/Vienna"
    agenda = load_agenda(event, event_dir)
    opening = next(row for row in agenda if row.key == "d1-opening")
    # 09:30 in Vienna in April (CEST) is 07:30 UTC.
    assert opening.starts_at == datetime(2018, 4, 23, 7, 30, tzinfo=UTC)
    assert [s["name"] for s in opening.speakers][:2] == ["Vincenzo Amendola", "Amb. Madina Jarbussynova"]
    assert {s["group"] for s in opening.speakers} == {"government", "osce", "intl_org"}
    assert all(row.illustrative for row in agenda)
    assert {"plenary", "panel", "side_event", "break"} == {row.kind for row in agenda}
    groups = load_groups(event_dir)
    assert len(groups) == 15 and groups[-1].key == "public"
    accounts, keywords = load_directory({g.key for g in groups}, event_dir)
    assert any(a.handle == "osce_cthb" for a in accounts)
    languages = {k.language for k in keywords}
    assert {"en", "fr", "de", "ru", "es", "it", "uk"} <= languages
    assert any(k.keyword == "профсоюз" for k in keywords)


def test_event_hashtags_from_the_environment_override_the_file(event_dir, monkeypatch):
    monkeypatch.setenv("EVENT_HASHTAGS", "cthb18, #Alliance18")
    assert load_event(event_dir).hashtags == ["#cthb18", "#alliance18"]


@pytest.mark.parametrize(
    "row, message",
    [
        ("x1,Talk,workshop,2018-04-23 10:00,2018-04-23 11:00", "agenda.csv:16: kind 'workshop'"),
        ("x1,Talk,panel,23/04/2018 10:00,2018-04-23 11:00", "agenda.csv:16: start and end"),
        ("x1,Talk,panel,2018-04-23 12:00,2018-04-23 11:00", "agenda.csv:16: the session ends before it starts"),
        ("d1-opening,Again,panel,2018-04-23 12:00,2018-04-23 13:00", "agenda.csv:16: key 'd1-opening' appears twice"),
    ],
)
def test_a_broken_agenda_row_names_its_line(event_dir, row, message):
    with (event_dir / "agenda.csv").open("a", encoding="utf-8") as handle:
        handle.write(row + "\n")
    with pytest.raises(EventConfigError, match=message):
        load_agenda(load_event(event_dir), event_dir)


def test_a_directory_entry_for_an_unknown_group_is_refused(event_dir):
    with (event_dir / "stakeholder_directory.csv").open("a", encoding="utf-8") as handle:
        handle.write("account,someone,Org,astronauts,,\n")
    groups = {g.key for g in load_groups(event_dir)}
    with pytest.raises(EventConfigError, match=r"stakeholder_directory.csv:\d+: group 'astronauts'"):
        load_directory(groups, event_dir)


def test_an_unknown_time_zone_is_refused(event_dir):
    path = event_dir / "event.toml"
    path.write_text(path.read_text().replace("Europe/Vienna", "Europe/Atlantis"))
    with pytest.raises(EventConfigError, match="unknown time zone"):
        load_event(event_dir)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ana (osce): OSCE Secretariat [moderator]", ("Ana", "osce", "OSCE Secretariat", "moderator")),
        ("Bo: La Strada International", ("Bo", "", "La Strada International", "speaker")),
        ("Cy [presenter]", ("Cy", "", "", "presenter")),
        # As the importer wrote a convener before affiliation and role were apart.
        ("Di: ODIHR (chair)", ("Di", "", "ODIHR", "chair")),
        ("Ed: chair", ("Ed", "", "", "chair")),
        ("Flo: UNESCO Chair on migration", ("Flo", "", "UNESCO Chair on migration", "speaker")),
    ],
)
def test_a_speaker_is_name_group_affiliation_and_role(text, expected):
    (speaker,) = parse_speakers(text, "agenda.csv")
    assert (speaker["name"], speaker["group"], speaker["affiliation"], speaker["role"]) == expected
    assert parse_speakers(speaker_text(*expected), "agenda.csv") == [speaker]  # written back, read the same


def test_a_speaker_stored_in_the_shape_of_before_reads_as_affiliation_and_role():
    assert speaker_fields({"name": "Di", "group": "", "role": "ODIHR (chair)"}) == ("Di", "ODIHR", "chair")
    assert speaker_fields({"name": "Bo", "group": "", "role": "NGO"}) == ("Bo", "NGO", "speaker")
    stored = {"name": "Ana", "group": "osce", "affiliation": "OSCE", "role": "convener"}
    assert speaker_fields(stored) == ("Ana", "OSCE", "convener")


@pytest.mark.parametrize("text", ["=1+1", "+x", "-x", "@x", "'=x", "''@x", "'plain", "plain", ""])
def test_an_agenda_cell_neutralised_reads_back_as_it_was(text):
    written = "'" + text if needs_neutralising(text) else text
    assert written[:1] not in ("=", "+", "-", "@")
    assert plain_agenda_cell(written) == text


def _with_translations(event_dir):
    """The shipped agenda and groups with only a French and a Russian column, as organisers would add
    them (the shipped translations are taken out first, so the fallbacks below are the test's own)."""

    def rewrite(name: str, prefix: str, added: list[str], values) -> None:
        with (event_dir / name).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        keep = [i for i, column in enumerate(rows[0]) if not column.startswith(prefix)]
        with (event_dir / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([rows[0][i] for i in keep] + added)
            writer.writerows([row[i] for i in keep] + values(row[0]) for row in rows[1:] if row)

    opening = ["Ouverture de haut niveau", "Открытие"]
    rewrite("agenda.csv", "title_", ["title_fr", "title_RU"], lambda key: opening if key == "d1-opening" else ["", ""])
    civil = ["Société civile"]
    rewrite("stakeholder_groups.csv", "label_", ["label_fr"], lambda key: civil if key == "civil_society" else [""])


def test_titles_and_labels_in_other_languages_load_fall_back_and_are_edited_on_the_page(event_dir, db_url):
    _with_translations(event_dir)
    event = load_event(event_dir)
    opening = next(row for row in load_agenda(event, event_dir) if row.key == "d1-opening")
    assert opening.titles == {"fr": "Ouverture de haut niveau", "ru": "Открытие"}
    with db.writing(db_url) as session:
        sync_event(session, event_dir)
    with db.reading(db_url) as session:
        stored = session.exec(select(AgendaSession).where(AgendaSession.key == "d1-opening")).one()
        group = session.get(StakeholderGroup, "civil_society")
        assert title_in(stored, "fr") == title_in(stored, "fr-CH") == "Ouverture de haut niveau"
        assert title_in(stored, "ru") == "Открытие"
        assert title_in(stored, "de") == title_in(stored, None) == "High-level opening session"
        assert label_in(group, "fr") == "Société civile" and label_in(group, "es") == group.label
        by_id = titles_in(session, "ru")
        assert by_id[stored.id] == "Открытие" and len(set(by_id.values())) > 1
        labels = labels_in(session, "fr")
        assert labels["civil_society"] == "Société civile"
        assert labels["public"] == session.get(StakeholderGroup, "public").label  # no French label: the default
    # The Agenda and groups page shows them, saves the ones edited, keeps the ones a table lacks.
    with db.reading(db_url) as session:
        frame = admin.agenda_frame(session, event)
        groups = admin.groups_frame(session)
    assert {"title_fr", "title_ru"} <= set(frame.columns) and "label_fr" in groups.columns
    edited = frame.copy()
    edited.loc[edited["key"] == "d1-opening", "title_fr"] = "Séance d'ouverture"
    with db.writing(db_url) as session:
        admin.save_agenda(session, event, edited)
    with db.writing(db_url) as session:  # a table without the columns (an older download) keeps them
        admin.save_agenda(session, event, frame.drop(columns=["title_fr", "title_ru"]))
        admin.save_groups(session, groups.drop(columns=["label_fr"]))
    with db.reading(db_url) as session:
        stored = session.exec(select(AgendaSession).where(AgendaSession.key == "d1-opening")).one()
        assert stored.titles == {"fr": "Séance d'ouverture", "ru": "Открытие"}
        assert session.get(StakeholderGroup, "civil_society").labels == {"fr": "Société civile"}


def test_a_translation_column_that_names_no_language_is_refused(event_dir):
    agenda = (event_dir / "agenda.csv").read_text().splitlines()
    (event_dir / "agenda.csv").write_text("\n".join([agenda[0] + ",title_old"] + [f"{line}," for line in agenda[1:]]))
    with pytest.raises(EventConfigError, match=r"agenda.csv:2: column 'title_old' is not title_<language>"):
        load_agenda(load_event(event_dir), event_dir)
