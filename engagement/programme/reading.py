"""Reading a programme from a file or a URL, its format told by its content: JSON with
``schedule.conference`` is frab, JSON with ``results`` is Indico, XML with ``<schedule>`` is frab's
XML, ``BEGIN:VCALENDAR`` is iCalendar. A URL is fetched with a timeout; an Indico URL takes
``INDICO_TOKEN`` as a bearer token (a secret: never in a message)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from engagement import settings
from engagement.programme import frab, ical, indico
from engagement.programme.model import Programme, ProgrammeError

FORMATS = ("auto", "frab-json", "frab-xml", "indico", "ics")
# A programme export is kilobytes to a few megabytes; 30 s covers a slow conference server, and
# 20 MiB stops a wrong URL (a video, a dump) from filling memory.
FETCH_TIMEOUT_S = 30.0
MAX_BYTES = 20 * 2**20


def detect(raw: bytes) -> str:
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if head.startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    if head.startswith(b"<"):
        return "frab-xml"
    if head.startswith((b"{", b"[")):
        try:
            data = json.loads(raw)
        except ValueError:
            return "unknown"
        if isinstance(data, dict) and isinstance(data.get("schedule"), dict):
            return "frab-json"
        if isinstance(data, dict) and "results" in data:
            return "indico"
    return "unknown"


def parse(raw: bytes, where: str, fmt: str = "auto", zone_name: str | None = None) -> Programme:
    """The programme in ``raw`` (``fmt`` one of FORMATS); ProgrammeError says why it is not one."""
    if fmt not in FORMATS:
        raise ProgrammeError(f"{where}: format {fmt!r} is not one of {', '.join(FORMATS)}")
    found = detect(raw) if fmt == "auto" else fmt
    if found == "ics":
        return ical.read_ics(raw, where, zone_name)
    if found == "frab-xml":
        return frab.read_xml(raw, where, zone_name)
    if found in ("frab-json", "indico"):
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise ProgrammeError(f"{where}: not JSON ({error})") from None
        reader = frab.read_json if found == "frab-json" else indico.read_json
        return reader(data, where, zone_name)
    raise ProgrammeError(
        f"{where}: not a programme this reads (frab schedule.json or .xml, an Indico timetable export, iCalendar)"
    )


def fetch(url: str) -> bytes:
    headers = {"Accept": "application/json, application/xml, text/calendar"}
    token = settings.indico_token()
    if token and "/export/" in urlsplit(url).path:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with httpx.stream("GET", url, headers=headers, timeout=FETCH_TIMEOUT_S, follow_redirects=True) as response:
            if response.status_code != 200:
                raise ProgrammeError(f"{url}: HTTP {response.status_code}" + _hint(response.status_code))
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise ProgrammeError(f"{url}: more than {MAX_BYTES // 2**20} MiB: not a programme export")
            return bytes(body)
    except httpx.HTTPError as error:
        raise ProgrammeError(settings.redact(f"{url}: {type(error).__name__}: {error}")) from None


def _hint(status: int) -> str:
    if status in (401, 403):
        return " (the timetable is not public: set INDICO_TOKEN to an Indico API token with read access)"
    if status == 404:
        return " (no such page: check the URL)"
    return ""


def read(source: str, fmt: str = "auto", zone_name: str | None = None) -> Programme:
    """A programme from a path or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        return parse(fetch(source), source, fmt, zone_name)
    path = Path(source)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ProgrammeError(f"{path}: {error.strerror or error}") from None
    return parse(raw, str(path), fmt, zone_name)
