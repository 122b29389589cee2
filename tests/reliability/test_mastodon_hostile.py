"""Hostile text on Mastodon: a status whose HTML content carries escaped markup, live script and
style, ``javascript:`` links, Markdown, LaTeX, zero-width and bidi characters, by an account whose
acct, display name and bio are hostile too. Through the importer it becomes plain text (the HTML
read, never kept), shown literally on every page in the browser, and leaves in CSV and XLSX as
text: no markup, no formula.

The other networks' hostile text is tests/reliability/test_hostile.py's; this module writes its
own, as test modules share nothing but tests/helpers.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import sqlite3
import time
from datetime import UTC, datetime

import openpyxl
import pytest

from engagement.collection.jsonl import import_files
from engagement.collection.mastodon.plaintext import to_text
from engagement.storage import db, flags
from engagement.ui.menu import PAGES

from ..helpers import real_data
from ..helpers.browser import CHROMIUM, PIXEL, Watched, every_page_as_organiser, serve
from ..helpers.worker import ingest

FORMULA = f'=HYPERLINK("http://{PIXEL}","x")'
# The status's content as a hostile (or careless) instance could serve it: each paragraph hostile
# in its own way. What must never show: what Mastodon's sanitiser drops, and what is hidden.
CONTENT = (
    f"<p>{FORMULA}<br>"
    "&lt;script&gt;alert(8)&lt;/script&gt;<br>"
    "<script>document.title='pwned-by-script'</script><style>body{display:none}</style>"
    '<a href="javascript:alert(9)">[click](javascript:alert(9))</a><br>'
    f"![remote](http://{PIXEL})<br>"
    '&lt;b&gt;bold&lt;/b&gt; **strong** <img src=x onerror="alert(10)"><br>'
    "$x^2$ :red[colour]</p>"
    "<p>zero\u200bwidth\u200djoined and \u202eRTL override\u202c<br>"
    '<a href="https://example.org/a/long/path"><span class="invisible">https://</span>'
    '<span class="ellipsis">example.org/a/long</span><span class="invisible">/path-hidden-tail</span></a> '
    '<a href="https://evil.example/tags/cthb18" class="mention hashtag" rel="tag">#<span>cthb18</span></a></p>'
)
NEVER_SHOWN = ["pwned-by-script", "display:none", "path-hidden-tail", 'class="', "<p>", "<span", "&lt;", "&amp;"]
HANDLE = "<img src=x onerror=alert(11)>@evil.example"
NAME = f"**Name** <b>b</b> ![n](http://{PIXEL}) \u202eeman"
NOTE = (
    f"<p>![p](http://{PIXEL}) &lt;script&gt;alert(12)&lt;/script&gt;<script>alert(13)</script>"
    ' <a href="javascript:alert(12)">[x](javascript:alert(12))</a> \u200b</p>'
)
WARNING = f"<b>CW</b> ![w](http://{PIXEL})"
TEXT_LINES = [line for line in to_text(CONTENT).splitlines() if line.strip()]


def hostile_status() -> dict:
    """One recorded status, made hostile: its content, its warning, its account."""
    recorded = json.loads(real_data("rtoot_get_timeline_hashtag_anonymous.bodies.json", "mastodon").read_text())
    status = copy.deepcopy(recorded[0]["body"][1])
    status.update(
        id="100100100100100100",
        uri="https://evil.example/users/hostile4/statuses/100100100100100100",
        url="https://evil.example/@hostile4/100100100100100100",
        created_at="2018-04-23T09:29:59.500Z",
        content=CONTENT,
        spoiler_text=WARNING,
        sensitive=True,
        language="en",
        tags=[{"name": "cthb18", "url": "https://evil.example/tags/cthb18"}],
        mentions=[],
        # The most engaged post of all, so that the report's top posts carry it.
        favourites_count=50_000,
        reblogs_count=20_000,
        replies_count=900,
    )
    status["account"].update(
        id="4",
        username="hostile4",
        acct=HANDLE,
        display_name=NAME,
        note=NOTE,
        url="https://evil.example/@hostile4",
        uri="https://evil.example/users/hostile4",
    )
    return status


@pytest.fixture(scope="module")
def hostile_mastodon(demo_db, tmp_path_factory):
    """The demo with the hostile status in it (the newest post at the replay clock, 09:30 Vienna
    time on day 1), read as a timeline page is: a JSON array line."""
    folder = tmp_path_factory.mktemp("hostile-mastodon")
    path = folder / "hostile.db"
    shutil.copy(demo_db.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    lines = folder / "hostile-mastodon.jsonl"
    lines.write_text(json.dumps([hostile_status()]) + "\n", encoding="utf-8")
    summary = import_files([lines], url=url, progress=False)
    assert summary.rejected == 0
    # A moderator has classified the account: the report's top posts show only publicly known
    # accounts' posts, and this one is the most engaged of all.
    with sqlite3.connect(path) as connection:
        group = connection.execute("SELECT key FROM stakeholder_group WHERE key = 'civil_society'").fetchone()[0]
        connection.execute(
            "UPDATE author SET group_key = ?, group_source = 'moderator' WHERE platform = 'mastodon'", (group,)
        )
    with db.writing(url) as session:
        flags.set_replay_clock(session, datetime(2018, 4, 23, 9, 30, tzinfo=UTC))
    db.dispose_engines()
    return url


def test_the_hostile_status_is_stored_as_plain_text(hostile_mastodon):
    with sqlite3.connect(hostile_mastodon.removeprefix("sqlite:///")) as connection:
        text, warning, handle, name, bio = connection.execute(
            "SELECT p.text, p.content_warning, a.handle, a.display_name, a.bio FROM post p JOIN author a"
            " ON a.id = p.author_id WHERE p.platform = 'mastodon'"
        ).fetchone()
    assert text.startswith(FORMULA) and "<script>alert(8)</script>" in text and "example.org/a/long…" in text
    assert "[click](javascript:alert(9))" in text and "<b>bold</b>" in text  # what was written, as text
    assert not [word for word in NEVER_SHOWN if word in text + bio]
    assert "alert(13)" not in bio and "<script>alert(12)</script>" in bio
    assert warning == WARNING and name == NAME and handle == HANDLE  # plain text is never parsed


def visible_text(watched: Watched) -> str:
    return "\n".join(watched.page.locator('[data-testid="stText"], [data-testid="stCode"]').all_inner_texts())


def shown_once_drawn(watched: Watched, expected: list[str], bound: float = 30.0) -> str:
    """The page's text once its script has finished and every ``expected`` text is drawn, or when
    ``bound`` seconds have passed (a deadline, not an expected duration: the assertions then say what
    is missing)."""
    watched.page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=bound * 1000)
    deadline = time.monotonic() + bound
    while True:
        shown = visible_text(watched)
        if all(text.strip() in shown for text in expected) or time.monotonic() > deadline:
            return shown
        watched.page.wait_for_timeout(100)  # the polling interval of a bounded wait


# The Live page shows the newest posts as text: the hostile status is the newest, its warning
# written before its text.
EXPECTED = {"live": TEXT_LINES + [f"@{HANDLE}", f"CW: {WARNING}"]}


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_hostile_mastodon_text_is_literal_on_every_page(hostile_mastodon, browser, tally):
    with serve(hostile_mastodon) as base:
        watched = Watched(browser)
        watched.open(base)
        for spec in every_page_as_organiser(watched, base):
            expected = EXPECTED.get(spec.url_path, [])
            shown = shown_once_drawn(watched, expected)
            for text in expected:
                assert text.strip() in shown, (spec.url_path, text[:80])
            assert not [word for word in NEVER_SHOWN if word in shown], spec.url_path
            page = watched.page
            assert watched.count("stException") == 0, spec.url_path
            assert page.locator(f'img[src*="{PIXEL}"], img[src="x"]').count() == 0, spec.url_path
            assert page.locator('[data-testid="stMarkdownContainer"] b, [data-testid="stText"] b').count() == 0
            assert page.locator(".katex").count() == 0, spec.url_path
            assert page.locator('a[href^="javascript:"]').count() == 0, spec.url_path
            assert "pwned" not in page.title(), spec.url_path
        assert watched.dialogs == [], watched.dialogs
        assert not any(PIXEL in url for url in watched.requests)
        watched.close()
    tally.bad_input(
        f"hostile Mastodon content, acct, display name, bio and warning, looked for on {len(PAGES)} pages in Chromium",
        len(TEXT_LINES) + 4,
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def assert_neutral(cell, where: str) -> None:
    """A cell may start like a formula only when it is a number (a negative count, say)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        try:
            float(cell)
        except ValueError:
            raise AssertionError(f"{where}: a formula would run: {cell!r:.80}") from None


def test_the_report_exports_the_status_as_text_with_no_markup_and_no_formula(hostile_mastodon, tmp_path, tally):
    out = tmp_path / "report"
    result = ingest("report", "--out", str(out), "--names", "--no-pdf", url=hostile_mastodon)
    assert result.returncode == 0, result.stderr
    cells: list[tuple[str, object]] = []
    for path in sorted((out / "csv").glob("*.csv")):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")):
            cells += [(path.name, cell) for cell in row]
    book = openpyxl.load_workbook(out / "report.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r:.80}"
                cells.append((f"{sheet.title}!{cell.coordinate}", cell.value))
    for where, value in cells:
        assert_neutral(value, where)
        assert not (isinstance(value, str) and [w for w in NEVER_SHOWN if w in value]), (where, value)
    exported = " ".join(str(value) for _, value in cells)
    assert f"'{FORMULA}" in exported, "the hostile status went out, its formula as text"
    tally.bad_input("exported cells checked for the hostile Mastodon status's markup and formulas", len(cells))
