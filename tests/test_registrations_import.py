"""ingest registrations-import: people per group from Indico-, Eventbrite- and Cvent-style exports,
through a mapping; nothing personal kept."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from engagement.programme.registrations import RegistrationsError, import_registrations, read_mapping
from engagement.report.voice import read_registrations
from engagement.rules.event import load_groups

from .helpers.worker import ingest

FIRST = ["Amira", "Jonas", "Olena", "Mateo", "Chiara", "Pierre", "Ayşe", "Ivan", "Sofia", "Karim"]
LAST = ["Haddad", "Berger", "Kovalenko", "García", "Rossi", "Dubois", "Yılmaz", "Petrov", "Novak", "Mansour"]
DELEGATIONS = {
    "Participating State": "government",
    "OSCE Executive Structure": "osce",
    "International Organization": "intl_org",
    "NGO": "civil_society",
    "Academia": "academia",
}


def people(seed: int = 18, n: int = 120) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append(
            {
                "ID": str(1000 + i),
                "Name": f"{first} {last}",
                "Email Address": f"{first.lower()}.{last.lower()}{i}@example.org",
                "Affiliation": f"Organisation {i}",
                "Delegation type": rng.choice([*DELEGATIONS, "Press", ""]),
                "Registration state": rng.choice(["Completed"] * 8 + ["Withdrawn", "Pending"]),
                "Checked in": rng.choice(["Yes", "No"]),
            }
        )
    return rows


def write_csv(path, rows, delimiter=","):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def expected(rows, count="registered"):
    tally: dict[str, int] = {}
    for row in rows:
        if count == "registered" and row["Registration state"] in ("Withdrawn", "Pending"):
            continue
        if count == "attended" and row["Checked in"] != "Yes":
            continue
        key = DELEGATIONS.get(row["Delegation type"])
        if key:
            tally[key] = tally.get(key, 0) + 1
    return tally


MAPS = [f"{value}={key}" for value, key in DELEGATIONS.items()]


@pytest.fixture
def folder(event_dir, monkeypatch):
    monkeypatch.setenv("EVENT_DATA_DIR", str(event_dir))
    return event_dir


def written(folder) -> dict[str, int]:
    groups = pd.DataFrame([(g.key, g.label) for g in load_groups(folder)], columns=["key", "label"])
    found = read_registrations(folder / "registrations.csv", groups)
    assert found is not None
    frame, illustrative = found
    assert not illustrative
    return dict(zip(frame["key"], frame["registered"].astype(int), strict=True))


def test_an_indico_style_csv_counts_registered_people_per_group(folder, tmp_path):
    rows = people()
    result = import_registrations(
        write_csv(tmp_path / "registrants.csv", rows), group_column="Delegation type", maps=MAPS
    )
    assert dict(result.counts) == expected(rows)
    assert written(folder) == expected(rows)
    # Unmapped values are counted and listed, never guessed.
    press = sum(1 for r in rows if r["Delegation type"] == "Press" and r["Registration state"] == "Completed")
    assert result.unmapped["Press"] == press and "(empty)" in result.unmapped
    assert result.not_counted == sum(1 for r in rows if r["Registration state"] != "Completed")


def test_an_xlsx_with_a_saved_mapping_counts_who_attended(folder, tmp_path):
    rows = people(seed=7)
    book = Workbook()
    sheet = book.active
    sheet.append([])  # exporters leave a blank row above the header at times
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    path = tmp_path / "attendees.xlsx"
    book.save(path)
    import_registrations(path, group_column="delegation TYPE", maps=MAPS, save_mapping=True, count="attended")
    assert written(folder) == expected(rows, "attended")
    assert read_mapping(folder / "registration_mapping.csv") == {k.casefold(): v for k, v in DELEGATIONS.items()}
    # The saved mapping serves the next import without --map.
    (folder / "registrations.csv").unlink()
    import_registrations(path, group_column="Delegation type", count="attended")
    assert written(folder) == expected(rows, "attended")


def test_values_that_are_a_groups_key_or_label_need_no_mapping(folder, tmp_path):
    rows = [
        {"Group": "NGO / civil society", "Status": "Attending"},
        {"Group": "academia", "Status": "Cancelled"},
        {"Group": "Academia and think-tanks", "Status": ""},
    ]
    import_registrations(write_csv(tmp_path / "eventbrite.csv", rows, ";"), group_column="Group")
    assert written(folder) == {"civil_society": 1, "academia": 1}


def test_a_mapping_to_no_group_and_a_missing_column_are_refused(folder, tmp_path):
    path = write_csv(tmp_path / "r.csv", people(n=5))
    before = (folder / "registrations.csv").read_bytes()
    with pytest.raises(RegistrationsError, match="'Embassy' is not a stakeholder group"):
        import_registrations(path, group_column="Delegation type", maps=["NGO=Embassy"])
    with pytest.raises(RegistrationsError, match="no column 'Type'"):
        import_registrations(path, group_column="Type")
    with pytest.raises(RegistrationsError, match="VALUE=GROUP"):
        import_registrations(path, group_column="Delegation type", maps=["NGO"])
    assert (folder / "registrations.csv").read_bytes() == before


def test_no_name_email_or_other_column_is_kept_or_printed(folder, tmp_path, db_url):
    rows = people(seed=3)
    path = write_csv(tmp_path / "registrants.csv", rows)
    done = ingest(
        "registrations-import",
        str(path),
        "--group-column",
        "Delegation type",
        *[f"--map={m}" for m in MAPS],
        "--save-mapping",
        url=db_url,
        EVENT_DATA_DIR=str(folder),
    )
    out, err = done.stdout, done.stderr
    assert done.returncode == 3, err  # done, with values no mapping names
    assert "'Press' map to no group" in err
    kept = (folder / "registrations.csv").read_text()
    mapping = (folder / "registration_mapping.csv").read_text()
    database = db_url.removeprefix("sqlite:///")
    stored = Path(database).read_bytes().decode("utf-8", "replace") if db_url.startswith("sqlite") else ""
    for row in rows:
        for personal in (row["Name"], row["Email Address"], row["Affiliation"]):
            for place, text in (("output", out + err), ("files", kept + mapping), ("database", stored)):
                assert personal not in text, f"{personal!r} in the {place}"
    assert io.StringIO(kept).readline().startswith("# Written by ingest registrations-import")


def test_a_mapping_value_that_looks_like_a_formula_is_saved_neutralised_and_read_back(folder, tmp_path):
    rows = [{"Type": "=HYPERLINK(1)", "Status": ""}, {"Type": "=HYPERLINK(1)", "Status": ""}]
    path = write_csv(tmp_path / "r.csv", rows)
    import_registrations(path, group_column="Type", maps=["=HYPERLINK(1)=academia"], save_mapping=True)
    saved = (folder / "registration_mapping.csv").read_text(encoding="utf-8")
    assert "'=hyperlink(1)" in saved  # a spreadsheet opening it shows text, runs nothing (values are kept case-folded)
    (folder / "registrations.csv").unlink()
    import_registrations(path, group_column="Type")  # the saved mapping, read back as it was given
    assert written(folder) == {"academia": 2}


def test_the_summary_pages_upload_is_counted_through_the_same_mapping(folder, tmp_path):
    """The report page takes an export as the command does: its columns, the saved mapping, the
    counts (the page's own widgets are Streamlit's; these are the steps they call)."""
    from engagement.programme import registrations

    rows = people(seed=11)
    raw = write_csv(tmp_path / "export.csv", rows).read_bytes()
    path = registrations.keep_upload(raw, "Registrants (Indico).CSV")
    assert path.suffix == ".csv" and "Delegation type" in registrations.columns_of(path)
    groups = registrations.event_groups()
    first = registrations.tally(
        path, group_column="Delegation type", groups=groups, mapping=registrations.saved_mapping()
    )
    assert set(first.unmapped) >= {"NGO", "Participating State"}
    registrations.save_mapping(dict(item.split("=") for item in MAPS))
    counted = registrations.tally(
        path, group_column="Delegation type", groups=groups, mapping=registrations.saved_mapping()
    )
    assert dict(counted.counts) == expected(rows)
    with pytest.raises(RegistrationsError, match="not stakeholder groups: Embassy"):
        registrations.save_mapping({"Press": "Embassy"})
    text = registrations.render(counted, "export.csv", "registered", groups)
    (folder / "registrations.csv").write_text(text, encoding="utf-8")
    assert written(folder) == expected(rows)
