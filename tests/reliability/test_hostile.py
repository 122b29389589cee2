"""Hostile text through every surface — posts, names, bios, questions, display names, affiliations,
agenda titles, directory entries, on X and on Bluesky (a post, its author's handle, display name and
bio) — shown literally in the browser, and neutralised against formula injection in every CSV and
XLSX that leaves the app."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import shutil
import sqlite3
import time
from datetime import UTC
from pathlib import Path

import openpyxl
import pytest

from engagement.analysis import exports
from engagement.collection.jsonl import import_files
from engagement.qa import listing
from engagement.storage import db
from engagement.ui.menu import PAGES

from ..helpers import ROOT, real_data
from ..helpers.browser import CHROMIUM, PIXEL, Watched, every_page_as_organiser, serve, write_posts
from ..helpers.worker import ingest

MARKUP = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    f"![p](http://{PIXEL})",
    "[x](javascript:alert(1))",
    "$\\LaTeX$",
    ":red[colour]",
    "<b>bold</b>",
]
FORMULAS = ['=HYPERLINK("http://127.0.0.1:9/x","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
AGENDA_TITLE = f"Panel <img src=x onerror=alert(2)> ![t](http://{PIXEL}) $x^2$"
TEXTS = FORMULAS + MARKUP  # posts in this order, a second apart: the markup ones are the newest
ORGANISATION = f'=HYPERLINK("http://{PIXEL}") <b>Org</b> ![o](http://{PIXEL})'
# A Bluesky post whose every line is hostile in its own way, by an author whose handle, display name
# and bio are too; the newest post of all, so that the Live page shows it first as text.
BLUESKY_LINES = [
    "<script>alert(5)</script>",
    "[click](javascript:alert(5))",
    f"![remote](http://{PIXEL})",
    "<b>bold</b> **strong** _em_",
    "zero\u200bwidth\u200djoined\u2060here",
    "\u202eRTL override\u202c and \u2067isolate\u2069",
    "$x^2$ :red[colour]",
    "W" * 20_000,  # a huge word: no break, no truncation of what a person reads
]
BLUESKY_HANDLE = "<img src=x onerror=alert(6)>[h](javascript:alert(6)).hostile3.bsky.social"
BLUESKY_AUTHOR = {
    "did": "did:plc:hostile3xxxxxxxxxxxxxxxx",
    "handle": BLUESKY_HANDLE,
    "displayName": f"**Name** <b>b</b> ![n](http://{PIXEL}) \u202eeman",
    "description": f"![p](http://{PIXEL}) <script>alert(7)</script> [x](javascript:alert(7)) \u200b",
}


def write_bluesky_post(path: Path) -> Path:
    """A searchPosts page holding one recorded PostView, made hostile: its text, its author."""
    view = copy.deepcopy(json.loads(real_data("twitwi_bluesky-posts.json", "bluesky").read_text(encoding="utf-8"))[0])
    view["uri"] = f"at://{BLUESKY_AUTHOR['did']}/app.bsky.feed.post/3cthb18hostile"
    view["author"] = {**BLUESKY_AUTHOR, "labels": []}
    view["record"] = {
        "$type": "app.bsky.feed.post",
        "text": "\n".join(BLUESKY_LINES) + "\n#cthb18",
        "createdAt": "2018-04-23T09:29:59.000Z",
        "langs": ["en"],
    }
    view.pop("embed", None)
    view["indexedAt"] = "2018-04-23T09:29:59.000Z"
    path.write_text(json.dumps({"posts": [view]}) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile_everywhere(demo_db, tmp_path_factory):
    """The demo with hostile strings in every place a person's text can reach, the replay clock in the
    middle of Panel 1 (whose title is hostile too)."""
    folder = tmp_path_factory.mktemp("hostile-everywhere")
    path = folder / "hostile.db"
    shutil.copy(demo_db.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    texts = TEXTS
    user = {
        "id": "31338",
        "username": "demo_hostile2",
        "name": "=cmd|' /C calc'!A0 <b>bold</b>",
        "description": f"![p](http://{PIXEL}) <script>alert(3)</script>",
        "public_metrics": {"followers_count": 9},
    }
    page = write_posts(
        folder / "hostile.jsonl", user, texts, first_id=991_000_000_000_000_000, first_at="2018-04-23T09:29:45"
    )
    summary = import_files([page, write_bluesky_post(folder / "hostile-bluesky.jsonl")], url=url, progress=False)
    assert summary.rejected == 0
    con = sqlite3.connect(path)
    panel = con.execute("SELECT id FROM agenda_session WHERE key = 'd1-panel-1'").fetchone()[0]
    con.execute("UPDATE agenda_session SET title = ? WHERE id = ?", (AGENDA_TITLE, panel))
    con.execute("UPDATE question SET status = 'approved' WHERE status = 'on_screen'")
    for n, text in enumerate(texts):
        status = "on_screen" if n == 0 else ("pending" if n % 2 else "approved")
        con.execute(
            "INSERT INTO question (session_id, text, display_name, affiliation, group_key, status, votes, "
            "flagged, origin, starred, forgotten, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?, 0, "
            "'app', 0, 0, '2018-04-23 09:29:00', '2018-04-23 09:29:00')",
            (
                panel,
                text,
                FORMULAS[n % len(FORMULAS)] + " " + MARKUP[n % len(MARKUP)],
                MARKUP[(n + 1) % len(MARKUP)],
                status,
                500 + n,
            ),
        )
    group = con.execute("SELECT key FROM stakeholder_group LIMIT 1").fetchone()[0]
    con.execute(
        "INSERT INTO directory_entry (platform, handle, organisation, group_key, note) VALUES "
        "('x', 'demo_hostile2', ?, ?, ?)",
        (ORGANISATION, group, "<script>alert(4)</script>"),
    )
    con.execute("UPDATE setting SET value = ? WHERE key = 'replay_clock'", ("2018-04-23T09:30:00+00:00",))
    con.commit()
    con.close()
    from datetime import datetime

    from engagement.storage import flags

    with db.writing(url) as session:
        flags.set_replay_clock(session, datetime(2018, 4, 23, 9, 30, tzinfo=UTC))
    db.dispose_engines()
    return url


def visible_text(watched: Watched) -> str:
    # Participants' text on the Ask page is escaped into <p class="user-text"> (engagement/ui/qa.py).
    shown = '[data-testid="stText"], [data-testid="stCode"], p.user-text'
    return "\n".join(watched.page.locator(shown).all_inner_texts())


def shown_once_drawn(watched: Watched, expected: list[str], bound: float = 30.0) -> str:
    """The page's text once its script has finished and every ``expected`` text is drawn, or when
    ``bound`` seconds have passed (a deadline, not an expected duration: the assertions then say what
    is missing). A loaded machine draws later, so a fixed pause here would test its speed."""
    watched.page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=bound * 1000)
    deadline = time.monotonic() + bound
    while True:
        shown = visible_text(watched)
        if all(text.strip() in shown for text in expected) or time.monotonic() > deadline:
            return shown
        watched.page.wait_for_timeout(100)  # the polling interval of a bounded wait


# Where each surface is shown as text (tables are drawn on a canvas and hold no markup at all).
# Questions: the first on screen, odd ones pending (the queue's first tab), even ones published.
EXPECTED = {
    "live": MARKUP + [AGENDA_TITLE] + BLUESKY_LINES + [f"@{BLUESKY_HANDLE}"],  # the newest posts
    "queue": [t for n, t in enumerate(TEXTS) if n % 2],
    "screen": [TEXTS[0]],
    "ask": [t for n, t in enumerate(TEXTS) if n and not n % 2],
}


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_hostile_text_is_literal_on_every_page(hostile_everywhere, browser, tally):  # noqa: F811
    with serve(hostile_everywhere) as base:
        watched = Watched(browser)
        watched.open(base)
        for spec in every_page_as_organiser(watched, base):
            shown = shown_once_drawn(watched, EXPECTED.get(spec.url_path, []))
            for text in EXPECTED.get(spec.url_path, []):
                assert text.strip() in shown, (spec.url_path, text[:80])
            page = watched.page
            if spec.url_path == "directory":
                assert_found_literally(watched, "hostile3", BLUESKY_HANDLE)
            if spec.url_path == "screen":  # the projector shows no menu
                assert not page.locator('[data-testid="stSidebar"]').is_visible()
            assert watched.count("stException") == 0, spec.url_path
            assert page.locator(f'img[src*="{PIXEL}"], img[src="x"]').count() == 0, spec.url_path
            assert (
                page.locator('[data-testid="stMarkdownContainer"] b, [data-testid="stText"] b, p.user-text *').count()
                == 0
            )
            assert page.locator(".katex").count() == 0, spec.url_path
            assert page.locator('a[href^="javascript:"]').count() == 0, spec.url_path
        assert watched.dialogs == [], watched.dialogs
        assert not any(PIXEL in url for url in watched.requests)
        watched.close()
    tally.bad_input(
        "hostile strings in X and Bluesky posts, names, handles, bios, questions, agenda and directory, "
        f"looked for on {len(PAGES)} pages in Chromium",
        len(MARKUP + FORMULAS) + 4 + len(BLUESKY_LINES) + 3,
    )


def assert_found_literally(watched: Watched, query: str, handle: str) -> None:
    """The directory's author search finds the author, and its choice of author holds the handle as
    the text it is (a combo box's value is plain text, as every cell of the table is)."""
    page = watched.page
    page.get_by_label("Find an author by handle or name").fill(query)
    page.keyboard.press("Enter")
    watched.settle()
    choice = page.get_by_role("combobox", name="Author", exact=True)
    choice.wait_for(timeout=30_000)
    assert choice.input_value() == handle


def assert_neutral(cell: str, where: str) -> None:
    """A cell may start like a formula only when it is a number (a negative count, say)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        try:
            float(cell)
        except ValueError:
            raise AssertionError(f"{where}: a formula would run: {cell!r:.80}") from None


def test_every_export_neutralises_formulas(hostile_everywhere, tmp_path, tally):
    out = tmp_path / "report"
    result = ingest("report", "--out", str(out), "--names", "--no-pdf", url=hostile_everywhere)
    assert result.returncode == 0, result.stderr
    cells = 0
    for path in sorted((out / "csv").glob("*.csv")):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")):
            for cell in row:
                assert_neutral(cell, path.name)
                cells += 1
    book = openpyxl.load_workbook(out / "report.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r:.80}"
                assert_neutral(cell.value, f"{sheet.title}!{cell.coordinate}")
                cells += 1
    # The Q&A queue's downloads: the questions and the audit log, as the page makes them.
    with db.reading(hostile_everywhere) as session:
        frames = {"questions": listing.export_frame(session), "audit": listing.audit_log(session)}
    for name, frame in frames.items():
        for row in csv.reader(io.StringIO(exports.csv_bytes(frame).decode("utf-8"), newline="")):
            for cell in row:
                assert_neutral(cell, name)
                cells += 1
    exported = (out / "csv" / "top-posts.csv").read_text(encoding="utf-8") + exports.csv_bytes(
        frames["questions"]
    ).decode("utf-8")
    assert "'=HYPERLINK" in exported  # the hostile cells were there, and went out as text
    tally.bad_input("exported CSV and XLSX cells checked for formula injection", cells)


def test_every_csv_leaves_through_the_neutralising_writer():
    """Pages and the report write CSV only through engagement/analysis/exports.py (to_csv anywhere else
    would be a way round it), and XLSX only through the report's workbook writer."""
    offenders = []
    for path in (
        list((ROOT / "engagement").rglob("*.py")) + list((ROOT / "views").glob("*.py")) + [ROOT / "dashboard.py"]
    ):
        source = path.read_text(encoding="utf-8")
        if re.search(r"\.to_csv\(|csv\.writer\(", source) and path.name != "exports.py":
            offenders.append(str(path.relative_to(ROOT)))
        if re.search(r"\.to_excel\(", source) and path.name != "workbook.py":
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_markup_is_only_ever_our_own_constant_text():
    """``st.html`` and ``unsafe_allow_html`` render markup: each may take only a string written in the
    source (a stylesheet, say), never a variable, an f-string or a join that could carry a post, a
    question, a name or a bio."""
    import ast

    sources = list((ROOT / "engagement").rglob("*.py")) + list((ROOT / "views").glob("*.py")) + [ROOT / "dashboard.py"]
    markup_calls = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            is_html = isinstance(node.func, ast.Attribute) and node.func.attr == "html"
            unsafe = any(
                k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant) and not k.value.value)
                for k in node.keywords
            )
            if is_html or unsafe:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                markup_calls.append(where)
                arguments = node.args + [k.value for k in node.keywords if k.arg in ("body", "body_or_text")]
                assert arguments and all(constant_or_escaped(a) for a in arguments), (
                    f"{where}: markup built from something other than a constant string or markup.html/script"
                )
    assert markup_calls, "the scan found no st.html at all: it no longer finds them"


def constant_or_escaped(node) -> bool:
    """A string written in the source, a module's UPPER_CASE constant, or ``markup.html`` /
    ``markup.script`` of one (engagement/ui/markup.py: every value escaped)."""
    import ast

    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Name):
        return node.id.isupper() or node.id.lstrip("_").isupper()
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("html", "script"):
        owner = node.func.value
        return (
            isinstance(owner, ast.Name)
            and owner.id == "markup"
            and bool(node.args)
            and constant_or_escaped(node.args[0])
        )
    return False
