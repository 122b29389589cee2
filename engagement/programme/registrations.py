"""Registrations from the tools organisers export them from (Indico registrants, Eventbrite
attendees, Cvent, any sheet; CSV or XLSX) into the one thing the dashboard keeps of them: how many
people per stakeholder group, written as the event's ``registrations.csv``.

Only two columns are ever read: the one holding the group and, where rows must be told apart, the
one saying whether a row counts (its state, or a check-in). Names, e-mails and every other column
are not read into anything that is stored or logged. A value that no mapping names is counted,
listed and left out: never guessed.

How values map to groups: ``--map "VALUE=GROUP"``, then the event's ``registration_mapping.csv``
(``value,group``; the report page saves the same file), then a value that is a group's key or label.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from engagement.analysis.exports import csv_text, plain_cell
from engagement.programme.model import ProgrammeError

MAPPING_FILE = "registration_mapping.csv"
COUNTS = ("registered", "attended")
# Column names the exporters use for a row's state and its check-in (compared case-folded).
STATE_COLUMNS = ("registration state", "registration status", "status", "attendee status", "state")
CHECKED_IN_COLUMNS = ("checked in", "checked_in", "check-in", "checkin", "attended")
# A state that means the person is not coming (Indico, Eventbrite, Cvent words).
NOT_REGISTERED = {
    "cancelled",
    "canceled",
    "withdrawn",
    "rejected",
    "declined",
    "refunded",
    "deleted",
    "not attending",
    "pending",
    "awaiting payment",
    "unpaid",
}
ATTENDED_STATES = {"attended", "checked in", "checked-in"}
YES = {"yes", "y", "true", "1", "x", "checked in", "attended"}


class RegistrationsError(ProgrammeError):
    pass


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)  # group key → people
    unmapped: Counter[str] = field(default_factory=Counter)  # group column value → rows
    not_counted: int = 0  # rows whose state or check-in says they do not count
    rows: int = 0


def open_table(path: Path) -> tuple[list[str], Iterator[list]]:
    """A CSV or XLSX file's header (its first non-empty row) and an iterator over its other rows."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RegistrationsError(f"{path}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")  # Excel's "CSV" on Windows
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise RegistrationsError(f"{path}: the file is empty")
    return [h.strip() for h in header], reader


def _xlsx(path: Path) -> tuple[list[str], Iterator[list]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a file that is not a workbook
        raise RegistrationsError(f"{path}: not an XLSX workbook ({type(error).__name__})") from None
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None)
    while header is not None and not any(header):
        header = next(rows, None)
    if header is None:
        workbook.close()
        raise RegistrationsError(f"{path}: the first sheet is empty")

    def rest() -> Iterator[list]:
        try:
            yield from (list(row) for row in rows)
        finally:
            workbook.close()

    return [str(h or "").strip() for h in header], rest()


def read_rows(header: list[str], rows: Iterable[list], columns: Iterable[str]) -> Iterator[dict[str, str]]:
    """Each row with only ``columns``: the others are never read into anything."""
    keep = [(i, name) for i, name in enumerate(header) if name in set(columns)]
    for row in rows:
        if not any(str(v or "").strip() for v in row):
            continue
        yield {name: str(row[i] if i < len(row) and row[i] is not None else "").strip() for i, name in keep}


def read_mapping(path: Path) -> dict[str, str]:
    """``value,group`` rows of a mapping file (value case-folded)."""
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(line for line in handle if not line.lstrip().startswith("#"))
        if not reader.fieldnames or not {"value", "group"} <= set(reader.fieldnames):
            raise RegistrationsError(f"{path}: expected the columns value,group")
        return {plain_cell(row["value"].strip()).casefold(): row["group"].strip() for row in reader if row.get("value")}


def parse_maps(items: Iterable[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        value, sep, group = item.rpartition("=")
        if not sep or not value.strip() or not group.strip():
            raise RegistrationsError(f"--map {item!r}: expected VALUE=GROUP")
        mapping[value.strip().casefold()] = group.strip()
    return mapping


def _column(found: Iterable[str], given: str | None, candidates: tuple[str, ...]) -> str | None:
    names = {name.casefold(): name for name in found}
    if given:
        return names.get(given.casefold())
    return next((names[c] for c in candidates if c in names), None)


def counts(row: dict[str, str], count: str, state_column: str | None, checked_column: str | None) -> bool:
    state = row.get(state_column, "").casefold() if state_column else ""
    if count == "attended":
        if checked_column:
            return row.get(checked_column, "").casefold() in YES
        return state in ATTENDED_STATES
    return state not in NOT_REGISTERED


def tally(
    path: Path,
    *,
    group_column: str,
    groups: dict[str, str],
    mapping: dict[str, str],
    count: str = "registered",
    state_column: str | None = None,
    checked_in_column: str | None = None,
) -> Tally:
    """People per group in ``path``. ``groups``: the event's group keys and labels; ``mapping``:
    values (case-folded) to group keys or labels."""
    if count not in COUNTS:
        raise RegistrationsError(f"--count {count!r}: one of {', '.join(COUNTS)}")
    header, rows = open_table(path)
    group = _column(header, group_column, ())
    if group is None:
        raise RegistrationsError(f"{path}: no column {group_column!r} (the file has {len(header)} columns)")
    state = _column(header, state_column, STATE_COLUMNS)
    checked = _column(header, checked_in_column, CHECKED_IN_COLUMNS)
    if state_column and state is None:
        raise RegistrationsError(f"{path}: no column {state_column!r}")
    if checked_in_column and checked is None:
        raise RegistrationsError(f"{path}: no column {checked_in_column!r}")
    if count == "attended" and checked is None and state is None:
        raise RegistrationsError(f"{path}: --count attended needs a check-in or state column (--checked-in-column)")
    by_name = {label.casefold(): key for key, label in groups.items()} | {key.casefold(): key for key in groups}
    for value, target in mapping.items():
        if target.casefold() not in by_name:
            raise RegistrationsError(f"mapping {value!r}={target!r}: {target!r} is not a stakeholder group")
    result = Tally()
    for row in read_rows(header, rows, [c for c in (group, state, checked) if c]):
        result.rows += 1
        if not counts(row, count, state, checked):
            result.not_counted += 1
            continue
        value = row.get(group, "")
        mapped = mapping.get(value.casefold())
        found = by_name.get((mapped or value).casefold())
        if found is None:
            result.unmapped[value or "(empty)"] += 1
        else:
            result.counts[found] += 1
    return result


def render(result: Tally, source: str, count: str, groups: dict[str, str]) -> str:
    return csv_text(
        ["group", "registered", "illustrative"],
        ([key, result.counts[key], "false"] for key in groups if result.counts.get(key)),
        comments=[
            f"Written by ingest registrations-import from {source} on {date.today().isoformat()}:",
            f"{count} people per stakeholder group; nothing else of the file is kept.",
        ],
    )


def write_mapping(path: Path, mapping: dict[str, str]) -> None:
    path.write_text(csv_text(["value", "group"], sorted(mapping.items())), encoding="utf-8")


def import_registrations(
    path: Path,
    *,
    group_column: str,
    maps: Iterable[str] = (),
    count: str = "registered",
    state_column: str | None = None,
    checked_in_column: str | None = None,
    save_mapping: bool = False,
    dry_run: bool = False,
) -> Tally:
    """Count ``path``'s people per group and write EVENT_DATA_DIR's registrations.csv (with
    ``save_mapping``, the ``--map`` values join registration_mapping.csv for the next import)."""
    from engagement import settings
    from engagement.report.voice import FILE_NAME
    from engagement.rules.event import load_groups

    folder = settings.data_dir()
    groups = {row.key: row.label for row in load_groups(folder)}
    saved = read_mapping(folder / MAPPING_FILE)
    given = parse_maps(maps)
    result = tally(
        path,
        group_column=group_column,
        groups=groups,
        mapping=saved | given,
        count=count,
        state_column=state_column,
        checked_in_column=checked_in_column,
    )
    if not result.counts:
        raise RegistrationsError(
            f"{path}: no row could be counted for a group ({result.rows} rows, {sum(result.unmapped.values())} "
            "with values no mapping names): nothing written"
        )
    if dry_run:
        return result
    (folder / FILE_NAME).write_text(render(result, path.name, count, groups), encoding="utf-8")
    if save_mapping and given:
        write_mapping(folder / MAPPING_FILE, saved | given)
    return result


def keep_upload(raw: bytes, name: str) -> Path:
    """An uploaded file in a temporary folder of its own, under its suffix (CSV or XLSX), so that
    ``tally`` reads it as any file; nothing of it is kept beyond the counts."""
    import tempfile

    suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in (".csv", ".xlsx", ".xlsm") else ".csv"
    path = Path(tempfile.mkdtemp(prefix="registrations-")) / f"upload{suffix}"
    path.write_bytes(raw)
    return path


def columns_of(path: Path) -> list[str]:
    header, rows = open_table(path)
    close = getattr(rows, "close", None)
    if close:
        close()  # an XLSX's workbook is closed by its row generator
    return header


def event_groups() -> dict[str, str]:
    """The event's groups (key → label), from the event files."""
    from engagement import settings
    from engagement.rules.event import load_groups

    return {row.key: row.label for row in load_groups(settings.data_dir())}


def saved_mapping() -> dict[str, str]:
    from engagement import settings

    return read_mapping(settings.data_dir() / MAPPING_FILE)


def save_mapping(added: dict[str, str]) -> None:
    """Add ``added`` (value → group) to the event's registration_mapping.csv."""
    from engagement import settings

    groups = event_groups()
    by_name = {label.casefold(): key for key, label in groups.items()} | {key.casefold(): key for key in groups}
    unknown = sorted({g for g in added.values() if g.casefold() not in by_name})
    if unknown:
        raise RegistrationsError(f"not stakeholder groups: {', '.join(unknown)}")
    write_mapping(settings.data_dir() / MAPPING_FILE, saved_mapping() | {v.casefold(): g for v, g in added.items()})
