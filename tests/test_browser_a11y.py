"""Accessibility in Chromium (issue #23, WCAG 2.2 AA): an axe-core audit of every page for every role on
the demo, with the expanders open; a participant and a moderator by keyboard alone, the focus visible
and never under the sticky header; status messages in live regions; the participant's page reflowing at
320 px and at 200 % zoom.

axe-core comes with ``axe-playwright-python`` (axe 4.12.1). A violation is either ours (the test fails)
or Streamlit's own, listed in docs/accessibility.md's table "Streamlit's own findings" with its rule,
the element (a CSS selector) and the upstream issue: the test reads that table, so a new finding fails
until it is fixed or listed there with its reason.
"""

from __future__ import annotations

import re
import sqlite3
import time

import pytest

from engagement.ui.menu import PAGES, menu_for
from engagement.ui.qa import held_order

from .helpers import ROOT
from .helpers.browser import CHROMIUM, Watched, go, serve

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not __import__("os").environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)",
)
# WCAG 2.0, 2.1 and 2.2, levels A and AA: the conformance docs/accessibility.md states.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
KNOWN_TABLE = "Streamlit's own findings"


def known_findings() -> list[tuple[str, str]]:
    """(axe rule, CSS selector of the element) for each row of the table in docs/accessibility.md."""
    text = (ROOT / "docs" / "accessibility.md").read_text()
    section = text.split(f"### {KNOWN_TABLE}", 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].startswith("`") and cells[1].startswith("`"):
            rows.append((cells[0].strip("`"), cells[1].strip("`")))
    assert rows, f"docs/accessibility.md has no rows under '{KNOWN_TABLE}'"
    return rows


# For each node axe reports (its rule and CSS target): whether the element, or one around it, matches a
# listed selector of that rule. One call a page: a round trip per node cost ~2 s a page under load.
LISTED = """([nodes, known]) => nodes.map(([rule, target]) => {
  const el = target && document.querySelector(target);
  return !!el && known.some(([r, selector]) => r === rule && !!el.closest(selector));
})"""


def ours(page, violations: list[dict], known: list[tuple[str, str]]) -> list[str]:
    """The violations not explained by the known list, as 'rule: element' lines."""
    nodes = [(v["id"], (n["target"] or [""])[-1], n) for v in violations for n in v["nodes"]]
    listed = page.evaluate(LISTED, [[[rule, target] for rule, target, _ in nodes], [list(k) for k in known]])
    return [
        f"{rule}: {node['html'][:160]} ({node.get('failureSummary', '')[:200]})"
        for (rule, _, node), explained in zip(nodes, listed, strict=True)
        if not explained
    ]


@pytest.fixture(scope="module")
def a11y_db(demo_db, tmp_path_factory):
    """A copy of the demo database: the keyboard tests add a question and votes to it."""
    path = tmp_path_factory.mktemp("a11y") / "demo.db"
    # SQLite's backup, not a file copy: the demo's last writes may still be in its -wal file.
    with sqlite3.connect(demo_db.removeprefix("sqlite:///")) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def server(a11y_db):
    """One app process for the module, on the demo database with no password: the demo's sign-in buttons."""
    with serve(a11y_db, passwords=False) as base:
        yield base


def demo_sign_in(watched: Watched, role: str) -> None:
    go(watched, "Account")
    watched.page.get_by_role("button", name=f"Sign in as {role} (demo)").click()
    watched.settle()
    watched.page.wait_for_selector("text=Signed in as", timeout=30_000)


def open_expanders(watched: Watched) -> None:
    """Open every expander of the page (their contents are audited too), then wait for the run it may cause."""
    closed = watched.page.locator('[data-testid="stExpander"] details:not([open]) > summary:visible')
    opened = 0
    for _ in range(10):  # a page has a few; each click reopens the list, so take the first closed one again
        if not closed.count():
            break
        closed.first.click()
        opened += 1
        watched.page.wait_for_timeout(150)
    if opened:
        watched.settle()


def test_axe_finds_nothing_of_ours_on_any_page_for_any_role(server, browser):
    """Every page of each role's menu, the projector view and the social wall, expanders open, one
    browser context per role; a page a lower role has already shown is not audited again (only
    Streamlit's menu differs)."""
    from axe_playwright_python.sync_playwright import Axe

    axe, known, found, audited, seen = Axe(), known_findings(), {}, [], set()
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    started = time.monotonic()

    def audit(watched: Watched, name: str) -> None:
        open_expanders(watched)
        # axe is injected once a document: Streamlit changes pages without reloading, and Axe.run would
        # parse its 560 kB script again on each page.
        if not watched.page.evaluate("typeof window.axe !== 'undefined'"):
            watched.page.evaluate(axe.axe_script)
        results = watched.page.evaluate("options => axe.run(document, options)", options)
        seen.update(v["id"] for v in results["violations"])
        audited.append(name)
        if problems := ours(watched.page, results["violations"], known):
            found[name] = problems

    moderator_pages = {p.url_path for pages in menu_for("moderator").values() for p in pages}
    for role in ("participant", "moderator", "organiser"):
        watched = Watched(browser)
        watched.open(f"{server}/ask")
        if role != "participant":
            demo_sign_in(watched, role)
        for spec in (p for pages in menu_for(role).values() for p in pages):
            # The same page for a higher role differs only in Streamlit's menu: audited once, for the
            # first role that has it (Account twice: signed out and signed in).
            if spec.url_path == "screen" or (role != "participant" and spec.url_path == "ask"):
                continue
            if role == "organiser" and spec.url_path in moderator_pages:
                continue
            go(watched, spec.title)
            # The report page computes its figures on arrival: under load (a shared CI machine) that
            # took 48 s once, so each page gets a minute to show its title.
            watched.page.wait_for_selector("h1", timeout=60_000)
            audit(watched, f"{role} /{spec.url_path}")
        if role == "moderator":  # the projector and the wall: no menu, reached by their links
            # The projector through the queue's link, in the same tab (a new page load would lose the
            # sign-in); the public wall by its address.
            go(watched, "Q&A queue")
            watched.page.get_by_text("Projector view of this session").click()
            watched.settle()
            watched.page.wait_for_selector(".st-key-screen-question", timeout=30_000)
            audit(watched, f"{role} /screen")
            watched.open(f"{server}/wall")
            audit(watched, f"{role} /wall")
        watched.close()
    elapsed = time.monotonic() - started
    expected = {p.url_path for p in PAGES} | {"wall"}
    assert {name.split("/")[1].split("?")[0] for name in audited} == expected
    # Each listed finding still occurs (axe ran, and the table holds no row Streamlit has since fixed).
    assert {rule for rule, _ in known} <= seen, f"listed but no longer found: { ({r for r, _ in known} - seen) }"
    assert found == {}, "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in found.items())
    print(f"axe audit: {len(audited)} pages in {elapsed:.1f} s")


# The focused element, whether its focus is visible (an outline or a ring of its own, or of the label or
# wrapper Streamlit draws it in) and whether anything covers it (the sticky header: 2.4.11), and its text.
FOCUS = """() => {
  const active = document.activeElement;
  if (!active || active === document.body) return null;
  // In a table (Streamlit's data grid) the focus is on its canvas or a cell of its hidden accessibility
  // table, and the grid draws the focused cell on the canvas with a ring of its own: the grid is what
  // must be on screen. Its toolbar's buttons are ordinary buttons.
  const grid = active.closest('[data-testid="stDataFrame"]:not([data-testid="stElementToolbar"] *)');
  const el = grid || active;
  const drawn = (node) => {
    const style = getComputedStyle(node);
    return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
  };
  const visible = !!grid || [el, el.closest("label"), el.closest('[data-baseweb="select"] > div'),
    el.closest('[data-baseweb="textarea"]'), el.closest('[data-baseweb="input"]')].some((n) => n && drawn(n));
  const box = el.getBoundingClientRect();
  const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
  const y = Math.min(Math.max(box.top + Math.min(box.height / 2, 12), 0), innerHeight - 1);
  const top = document.elementFromPoint(x, y);
  const label = el.closest("label");
  const uncovered = !!top && (el.contains(top) || top.contains(el) || (!!label && label.contains(top)));
  const cover = top ? (top.getAttribute("data-testid") || top.className || top.tagName).toString().slice(0, 60) : "";
  return { visible, uncovered, cover, tag: active.tagName, role: active.getAttribute("role") || "",
    name: (active.getAttribute("aria-label") || active.innerText || active.value || "").trim().slice(0, 80) };
}"""


def tab_to(page, wanted, limit: int = 120, key: str = "Tab") -> dict:
    """Press Tab (or ``key``: Shift+Tab) until the focused element satisfies ``wanted(focus)``; every stop on the way must show its
    focus and not be covered. Returns the focus it stopped on."""
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        focus = page.evaluate(FOCUS)
        stops.append(focus and f"{focus['tag']} {focus['role']} {focus['name']!r}")
        if focus is None:
            continue
        if not (focus["visible"] and focus["uncovered"]):  # a toolbar fading in on focus: look again once it has
            page.wait_for_timeout(400)
            focus = page.evaluate(FOCUS)
        assert focus["visible"], f"focus not visible on {focus}"
        assert focus["uncovered"], f"focus hidden under another element: {focus}"
        if wanted(focus):
            return focus
    raise AssertionError(f"no such control within {limit} presses of Tab: {stops[:40]}")


def announced(page, text: str) -> str:
    """The live-region role of the message holding ``text`` ("status" or "alert"), waiting for it to appear."""
    page.wait_for_selector(f'[data-testid="stAlertContainer"]:has-text("{text}")', timeout=30_000)
    return page.locator('[data-testid="stAlertContainer"]', has_text=text).first.get_attribute("role") or ""


def test_a_participant_asks_votes_and_changes_language_by_keyboard(server, browser):
    watched = Watched(browser)
    page = watched.open(f"{server}/ask?session=d1-panel-1")  # a session with published questions
    page.wait_for_selector('h1:has-text("Ask a question")', timeout=30_000)

    tab_to(page, lambda f: f["tag"] == "TEXTAREA")
    page.keyboard.type("How do the States protect survivors who testify?")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["name"] == "Send question")
    page.keyboard.press("Enter")
    watched.settle()
    # Announced without moving the focus: a status region, the focus not taken into it.
    assert announced(page, "Your question went to the moderators") == "status"
    assert not page.evaluate("!!document.activeElement.closest('[data-testid=stAlertContainer]')")

    vote = tab_to(page, lambda f: f["tag"] == "BUTTON" and "Upvote" in f["name"])
    page.keyboard.press("Space")
    watched.settle()
    assert announced(page, "Your vote is counted.") == "status"
    after = page.evaluate(FOCUS)
    assert after is not None and "Voted" in after["name"], (vote, after)  # the focus stayed on it

    # The language picker: Tab to it, open it with the arrow key, choose with Enter.
    tab_to(page, lambda f: f["role"] == "combobox" and f["name"] == "Language", limit=200)
    page.keyboard.press("ArrowDown")
    for _ in range(8):
        active = page.evaluate(
            "() => { const id = document.activeElement.getAttribute('aria-activedescendant');"
            " return id ? document.getElementById(id).innerText : ''; }"
        )
        if active == "Français":
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    watched.settle()
    page.wait_for_selector('h1:has-text("Poser une question")', timeout=30_000)
    assert watched.count("stException") == 0
    watched.close()


def test_a_moderator_approves_and_puts_a_question_on_screen_by_keyboard(server, browser):
    watched = Watched(browser)
    page = watched.open(f"{server}/ask")
    tab_to(page, lambda f: f["tag"] == "A" and f["name"].endswith("Account"))
    page.keyboard.press("Enter")
    watched.settle()
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["name"] == "Sign in as moderator (demo)")
    page.keyboard.press("Enter")
    watched.settle()
    page.wait_for_selector("text=Signed in as", timeout=30_000)

    tab_to(page, lambda f: f["tag"] == "A" and f["name"].endswith("Q&A queue"))
    page.keyboard.press("Enter")
    watched.settle()
    tab_to(
        page,
        lambda f: (
            f["tag"] == "INPUT" and "audit log" in page.evaluate("document.activeElement.labels[0]?.innerText || ''")
        ),
    )
    page.keyboard.type("Ana")
    page.keyboard.press("Enter")
    watched.settle()
    page.locator('[class*="st-key-question-"]').first.wait_for(timeout=30_000)
    card = tab_to(page, lambda f: f["tag"] == "BUTTON" and f["name"] == "Approve", limit=200)
    question = page.evaluate("document.activeElement.closest('[class*=\"st-key-question-\"]').className")
    key = re.search(r"st-key-question-\d+", question).group(0)
    page.keyboard.press("Enter")
    watched.settle()

    # The queue's tabs are one radio group: Shift+Tab back to it, the arrow keys to "Approved", Space.
    tab_to(page, lambda f: f["role"] == "radio", limit=200, key="Shift+Tab")
    for _ in range(6):
        if page.evaluate(FOCUS)["name"].startswith("Approved"):
            break
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    watched.settle()
    page.locator(f".{key}").wait_for(timeout=30_000)
    # Tab to the approved question's own "On screen" button.
    tab_to(
        page,
        lambda f: f["name"] == "On screen" and page.evaluate(f"!!document.activeElement.closest('.{key}')"),
        limit=300,
    )
    page.keyboard.press("Enter")
    watched.settle()
    page.locator(f".{key}", has_text="ON SCREEN").wait_for(timeout=30_000)
    assert card and watched.count("stException") == 0
    watched.close()


# 320 CSS px wide (1280 px at 400 %: WCAG 1.4.10) and 1280 × 800 at 200 % zoom (640 × 400 CSS px).
REFLOW = {"320 px": {"width": 320, "height": 640}, "200 % zoom": {"width": 640, "height": 400}}
OVERFLOW = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
  return Math.max(document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth,
                  main.scrollWidth - main.clientWidth);
}"""


@pytest.mark.parametrize("size", list(REFLOW))
def test_the_ask_page_reflows_without_loss(server, browser, size, tmp_path):
    """No horizontal scrolling, and the question box and its send button on screen once scrolled to, at
    320 px and at 200 % zoom; a screenshot of each in the test's tmp dir."""
    watched = Watched(browser)
    watched.page.set_viewport_size(REFLOW[size])
    page = watched.open(f"{server}/ask")
    controls = (page.get_by_role("textbox", name="Your question"), page.get_by_role("button", name="Send question"))
    for control in controls:  # the whole form drawn, not only its heading, before anything is measured
        control.wait_for(state="attached", timeout=30_000)
    assert page.evaluate(OVERFLOW) <= 1, f"horizontal scroll at {size}"
    width = REFLOW[size]["width"]
    for control in controls:
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (size, box)
        assert control.is_visible()
    page.screenshot(path=tmp_path / f"ask-{size.replace(' ', '').replace('%', 'pc')}.png", full_page=True)
    watched.close()


def test_the_question_list_holds_its_order_and_holds_back_new_questions():
    assert held_order(None, [3, 1, 2]) == ([3, 1, 2], [])  # a first look: the order as it is
    # Votes reorder the list and a question arrives: what is shown keeps its place, the new one waits.
    assert held_order([3, 1, 2], [1, 4, 3, 2]) == ([3, 1, 2], [4])
    # A question no longer published drops out; nothing else moves.
    assert held_order([3, 1, 2], [2, 3]) == ([3, 2], [])


@pytest.fixture(scope="module")
def moderator(server, browser):
    """A moderator signed in once, in one browser context, for the staff pages' short tests below."""
    watched = Watched(browser)
    watched.open(f"{server}/ask")
    demo_sign_in(watched, "moderator")
    yield watched
    watched.close()


# The WCAG text-spacing bookmarklet's rules (1.4.12): line height 1.5, paragraphs 2 em apart, letters
# 0.12 em and words 0.16 em apart, on everything.
TEXT_SPACING = """* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }
p, li { margin-bottom: 2em !important; }"""
# Text an element cuts off (its own box hides what overflows it), and controls drawn over each other.
LOSSES = """() => {
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const clipped = [...document.querySelectorAll('[data-testid="stMain"] *')].filter((el) => {
    if (!shown(el) || !el.textContent.trim() || el.closest('[data-testid="stDataFrame"]')) return false;
    const style = getComputedStyle(el);
    const hides = (o) => o === "hidden" || o === "clip";
    return (hides(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
      || (hides(style.overflowY) && el.scrollHeight > el.clientHeight + 1);
  }).map((el) => `${el.tagName}.${el.className}`.slice(0, 80) + ": " + el.textContent.trim().slice(0, 40));
  const controls = [...document.querySelectorAll(
    '[data-testid="stMain"] button, [data-testid="stMain"] textarea, [data-testid="stMain"] input, [data-testid="stMain"] [role="combobox"]'
  )].filter(shown);
  const overlaps = [];
  controls.forEach((a, i) => controls.slice(i + 1).forEach((b) => {
    if (a.contains(b) || b.contains(a)) return;
    const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (x > 1 && y > 1) overlaps.push(`${a.tagName} ${a.innerText || a.getAttribute("aria-label") || ""} / ${b.tagName} ${b.innerText || b.getAttribute("aria-label") || ""}`.slice(0, 120));
  }));
  return { clipped, overlaps };
}"""


def test_the_ask_page_loses_nothing_with_the_text_spacing_bookmarklets_css(server, browser, tmp_path):
    watched = Watched(browser)
    page = watched.open(f"{server}/ask?session=d1-panel-1")
    controls = (page.get_by_role("textbox", name="Your question"), page.get_by_role("button", name="Send question"))
    # The heading comes first and the form a moment after it (on a loaded machine, once a second late):
    # the spacing is measured on the whole page.
    for control in controls:
        control.wait_for(state="visible", timeout=30_000)
    page.add_style_tag(content=TEXT_SPACING)
    page.wait_for_timeout(300)  # one layout with the new spacing
    losses = page.evaluate(LOSSES)
    assert losses == {"clipped": [], "overlaps": []}
    assert page.evaluate(OVERFLOW) <= 1
    for control in controls:
        assert control.is_visible()
    page.screenshot(path=tmp_path / "ask-text-spacing.png", full_page=True)
    watched.close()


def _approved(page) -> int:
    metric = page.locator('[data-testid="stMetric"]', has_text="Approved").locator('[data-testid="stMetricValue"]')
    return int(metric.first.inner_text().replace(",", "").rstrip("+"))


def test_the_wall_queues_single_key_shortcuts_can_be_turned_off(server, moderator):
    """2.1.4: the social wall's queue approves its first post with the A key; a switch beside it turns
    every single-key shortcut off (the buttons stay, by Tab and Enter)."""
    page = moderator.page
    go(moderator, "Live")
    page.get_by_label(re.compile("audit log")).first.fill("Ana")
    page.keyboard.press("Enter")
    moderator.settle()
    page.get_by_role("button", name=re.compile("^Approve")).first.wait_for(timeout=30_000)
    before = _approved(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("a")
    moderator.settle()
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => m.innerText.startsWith('Approved')"
        " && parseInt(m.querySelector('[data-testid=stMetricValue]').innerText.replace(/,/g, '')) > n)",
        arg=before,
        timeout=15_000,
    )
    page.get_by_text("Single-key shortcuts").click()  # off
    moderator.settle()
    page.get_by_role("button", name=re.compile("^Approve")).first.wait_for(timeout=30_000)
    before = _approved(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("a")
    page.wait_for_timeout(1500)
    moderator.settle()
    assert _approved(page) == before
    assert watched_exceptions(moderator) == 0


def watched_exceptions(watched: Watched) -> int:
    return watched.count("stException")


@pytest.mark.parametrize("title", ["Live", "Q&A queue"])
def test_the_staff_pages_reflow_at_320_px(moderator, title, tmp_path):
    """1.4.10 for the moderators' pages: no horizontal scrolling of the page at 320 CSS px (tables and
    charts scroll or shrink inside their own boxes)."""
    page = moderator.page
    page.set_viewport_size({"width": 1400, "height": 1000})
    go(moderator, title)  # the menu is in the sidebar, which a narrow window folds away
    page.wait_for_selector("h1", timeout=30_000)
    page.set_viewport_size({"width": 320, "height": 640})
    page.wait_for_timeout(500)  # Streamlit lays its columns out again at the new width
    try:
        assert page.evaluate(OVERFLOW) <= 1, f"{title}: horizontal scroll at 320 px"
        page.screenshot(path=tmp_path / f"{title.replace(' ', '-').replace('&', '')}-320.png", full_page=True)
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})


def test_an_admin_editor_is_changed_and_saved_by_keyboard(server, browser, a11y_db):
    """The stakeholder groups' editor (Streamlit's data grid) by keys alone: Tab into it, the arrows to
    the second group's label, Enter to edit it, type over it, Enter, Escape, Tab to "Save the groups", Enter;
    the database has the new label."""
    watched = Watched(browser)
    page = watched.open(f"{server}/ask")
    demo_sign_in(watched, "organiser")
    go(watched, "Agenda and groups")
    page.locator(".st-key-groups-editor").wait_for(timeout=30_000)
    page.locator(".st-key-groups-editor").scroll_into_view_if_needed()
    # The grid itself, past its toolbar (search, download, columns), which takes the focus first.
    in_grid = "!!document.activeElement.closest('.st-key-groups-editor [data-testid=stDataFrameResizable]')"
    tab_to(page, lambda f: page.evaluate(in_grid), limit=300)
    # A key at a time, as a person presses them: the grid (React) takes a moment to move its selection,
    # and keys sent faster than that landed in the wrong cell or none.
    for key in ("ArrowDown", "ArrowRight"):  # the second row's label (the key column is not editable)
        page.keyboard.press(key)
        page.wait_for_timeout(150)
    page.keyboard.press("Enter")  # edit the cell (a first letter typed would open the editor and be lost)
    editing = "() => ['TEXTAREA', 'INPUT'].includes(document.activeElement && document.activeElement.tagName)"
    page.wait_for_function(editing, timeout=10_000)  # the cell's editor opens a moment later
    page.keyboard.press("Control+A")
    page.keyboard.type("Partner for Co-operation (keyboard)")
    page.wait_for_timeout(150)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => !({editing})()", timeout=10_000)
    # The grid keeps Tab for moving between its cells (a spreadsheet's keys); Escape leaves the cell, and
    # Tab then leaves the grid for the next control.
    page.keyboard.press("Escape")
    # The grid shows the new label (its accessible table has it), and the edit has reached the server
    # as a run of the page: the save must come after both.
    page.locator('.st-key-groups-editor td:has-text("Co-operation (keyboard)")').first.wait_for(
        state="attached", timeout=10_000
    )
    watched.settle()
    page.wait_for_timeout(500)
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["name"] == "Save the groups", limit=60)
    page.keyboard.press("Enter")
    watched.settle()
    saved = page.locator('[data-testid="stAlertContainer"]', has_text="Groups saved.")
    try:
        saved.wait_for(timeout=30_000)
    except Exception as error:
        shown = [alert.inner_text() for alert in page.locator('[data-testid="stAlertContainer"]').all()]
        raise AssertionError(f"no 'Groups saved.': {shown}") from error
    labels = {
        row[0]
        for row in sqlite3.connect(a11y_db.removeprefix("sqlite:///")).execute("select label from stakeholder_group")
    }
    assert "Partner for Co-operation (keyboard)" in labels, sorted(label for label in labels if "operation" in label)
    watched.close()
