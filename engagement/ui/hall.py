"""The screens in the hall: the projector's pieces (the join panel, the top questions, 16:9 and 4:3
layouts, a high-contrast theme) and the social wall's board.

Every ``st.html`` here takes a constant template with each value put in by ``markup.html``: whatever
came from a person (a question, a post, a name, a handle, an announcement) is escaped, shown
verbatim, never as markup. A
group's colour goes into a style only when it is a ``#rrggbb`` value (``wall.listing.safe_colour``).
No image is ever loaded from elsewhere: the QR code is drawn here by ``segno`` as an SVG data URI,
and a post's images are only counted.

Sizes, for a hall whose back row sits 10 m from a 3 m wide image (1920 px: 1.6 mm a pixel): a line
readable there needs letters about 45 mm tall (the 1:200 rule of thumb of signage), 1.5 % of the
image's width whatever its resolution, so the wall's post text is 1.7 vw (33 px at 1920 px; at 2.4 vw
a 16:9 screen showed one row of three posts above the fold), the highlighted
question 4.6 vw as the projector had it, and the QR code at least 30 % of the screen's height (at
3-Q, 29 modules for a short URL: 11 mm a module on a 2 m high image, which a phone reads from well
past 10 m). The high-contrast theme is white on black (21:1); the default is dark text on white
with secondary text at 10:1 or more (Pigeonhole's projector guidance).

The wall's two rows of three posts and an announcement fit the screen at 1920×1080, 1600×900,
1280×720 and 1024×768 (``tests/test_browser_screens.py``): its sizes are the smaller of a share of
the width and of the height (the same at 16:9, the width's at 4:3), a post's text shows its first
four lines (three under a content warning; its whole text stays in the page), the name, the handle,
the time with network and group, the content warning and each "now / next" one line. Measured before, at 1600×900:
six posts of 280 and 500 characters made cards 790–830 px tall, the second row ended at 1,928 px;
after, the announcement ends at 864 px (1,031 of 1,080; 697 of 720; 597 of 768).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

import segno
import streamlit as st

from engagement import i18n, settings
from engagement.analysis import display
from engagement.i18n import Translator
from engagement.qa.projector import TopQuestion
from engagement.rules import translations
from engagement.timeutil import to_local
from engagement.ui import markup
from engagement.ui.qa import language_tag
from engagement.wall.listing import Slot, WallItem

ASPECTS = ("16:9", "4:3")
Gettext = Callable[[str], str]


def _same(text: str) -> str:
    return text


# --- The app's icon -------------------------------------------------------------------------------

# The browser tab's icon, drawn here (two speech bubbles in the projector's accent colour) and handed
# to ``st.set_page_config`` as a data URI, so no page fetches it. A ``:material/…:`` page icon makes
# Streamlit's front end load the icon's SVG from fonts.gstatic.com (and an emoji short code from a
# CDN) on every page, the public screens in the hall included: a request to Google from every
# screen and phone, which a privacy promise of "nothing loaded from elsewhere" cannot have.
ICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<path fill="#0b5394" d="M6 8h36a4 4 0 0 1 4 4v20a4 4 0 0 1-4 4H20l-10 9v-9H6a4 4 0 0 1-4-4V12a4 4 0 0 1 4-4z"/>'
    '<path fill="#6fa8dc" d="M50 20h8a4 4 0 0 1 4 4v20a4 4 0 0 1-4 4h-4v9l-10-9H26a4 4 0 0 1-4-4v-4h20a8 8 0 0 0 8-8z"/>'
    "</svg>"
)
PAGE_ICON = "data:image/svg+xml;base64," + base64.b64encode(ICON_SVG.encode()).decode()


# --- Joining: the Ask page's URL for a session, as a QR code and as text -------------------------


def base_url() -> str:
    """The address people reach the app at: ``PUBLIC_URL``, else the one this screen's browser used."""
    configured = settings.public_url()
    if configured:
        return configured
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # outside a browser session (AppTest): a placeholder that still reads as a URL
        parts = urlsplit("")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "http://localhost:8501"


def ask_url(session_key: str | None, language: str | None = None, base: str | None = None) -> str:
    """The Ask page for ``session_key`` (and in ``language``, when the screen has one)."""
    query = {k: v for k, v in (("session", session_key), ("lang", language)) if v}
    return f"{base or base_url()}/ask" + (f"?{urlencode(query)}" if query else "")


@lru_cache(maxsize=64)
def qr_data_uri(url: str, dark: str = "#000000", light: str = "#ffffff") -> str:
    """``url`` as a QR code: an SVG data URI drawn here (medium error correction, raised by segno
    when the size allows; the quiet zone of 4 modules that scanners need)."""
    return segno.make(url, error="m").svg_data_uri(scale=10, border=4, dark=dark, light=light)


def short_url(url: str) -> str:
    """The URL as people type it: no scheme."""
    return url.split("://", 1)[-1]


JOIN = """<div class="hall-join">
  <img class="hall-qr" alt="%(alt)s" src="%(src)s" data-url="%(url)s">
  <div class="hall-join-words">
    <p class="hall-join-title">%(title)s</p>
    <p class="hall-join-hint">%(hint)s</p>
    <p class="hall-join-url"><span>%(host)s</span><span>%(path)s</span></p>
  </div>
</div>"""


def join_panel(session_key: str | None, language: str | None = None, gettext: Gettext = _same) -> str:
    """Draw how to join: the QR code and the short URL of the Ask page for the session. Returns the URL."""
    url = ask_url(session_key, language)
    st.html(
        markup.html(
            JOIN,
            alt=gettext("QR code of the link to ask a question"),
            src=qr_data_uri(url),
            url=url,
            title=gettext("Ask a question"),
            hint=gettext("Scan the code, or go to"),
            # Host and path each on a line of its own when both do not fit (not "4470 / 3/ask?").
            host=short_url(url).split("/", 1)[0],
            path="/" + short_url(url).split("/", 1)[1],
        )
    )
    return url


# --- The projector's layout and theme ----------------------------------------------------------

# Our own constant stylesheets. The themed ones take only our colours and sizes (``_THEMES``, no
# quote or bracket in any: put in by markup.html, they reach the CSS unchanged).
CHROME = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 2vh; padding-bottom: 1vh; max-width: 98vw; }
</style>"""

THEME = """<style>
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background: %(background)s; color: %(text)s; }
.stApp [data-testid="stText"], .stApp p { color: %(text)s; }
.hall-join { display: flex; flex-direction: %(direction)s; align-items: center; gap: 2vh 2vw;
  font-family: system-ui, sans-serif; }
.hall-qr { width: %(qr)s; height: %(qr)s; image-rendering: pixelated; background: #ffffff; }
.hall-join-words p { margin: 0; color: %(text)s; text-align: center; }
.hall-join-title { font-size: clamp(24px, 2.6vw, 64px); font-weight: 700; }
.hall-join-hint { font-size: clamp(18px, 1.6vw, 40px); color: %(secondary)s !important; }
.hall-join-url { font-size: clamp(22px, 2.2vw, 56px); font-weight: 700; color: %(accent)s !important;
  overflow-wrap: anywhere; }
.hall-join-url span { display: inline-block; }
.hall-top { display: flex; gap: 1.5vw; align-items: baseline; padding: 1.2vh 0; margin: 0;
  border-bottom: 2px solid %(secondary)s; font-family: system-ui, sans-serif; }
.hall-top .votes { min-width: 4ch; text-align: end; font-weight: 700; color: %(accent)s;
  font-size: clamp(22px, 2.4vw, 60px); }
.hall-top .text { font-size: clamp(22px, 2.4vw, 60px); line-height: 1.25; white-space: pre-wrap;
  overflow-wrap: anywhere; unicode-bidi: plaintext; color: %(text)s; }
.wall-card { background: %(card)s; border: 2px solid %(border)s; border-left-width: 12px; border-radius: 8px;
  padding: 1vh 1vw; color: %(text)s; font-family: system-ui, sans-serif; overflow: hidden; }
.wall-card p { margin: 0; color: %(text)s; }
.wall-card p:empty { display: none; }
.wall-who, .wall-handle, .wall-meta, .wall-cw, .wall-agenda { white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.wall-who { font-size: clamp(14px, min(1.5vw, 2.7vh), 36px); font-weight: 700; }
.wall-handle, .wall-meta { font-size: clamp(12px, min(1.2vw, 2.1vh), 30px); color: %(secondary)s !important; }
.wall-text { font-size: clamp(16px, min(1.7vw, 3vh), 60px); line-height: 1.25; white-space: pre-wrap;
  overflow-wrap: anywhere; unicode-bidi: plaintext; margin-top: 0.8vh !important;
  display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 4; line-clamp: 4; overflow: hidden; }
.wall-cw:not(:empty) ~ .wall-text { -webkit-line-clamp: 3; line-clamp: 3; }
.wall-cw { font-size: clamp(14px, min(1.4vw, 2.5vh), 34px); font-style: italic; color: %(secondary)s !important; }
.wall-images { font-size: clamp(12px, min(1.2vw, 2.1vh), 30px); color: %(secondary)s !important;
  margin-top: 0.8vh !important; }
.wall-announcement { border-color: %(accent)s; }
.wall-announcement .wall-text { font-weight: 700; -webkit-line-clamp: 2; line-clamp: 2; margin-top: 0 !important; }
.wall-agenda { font-family: system-ui, sans-serif; margin: 0; font-size: clamp(16px, min(1.8vw, 3.2vh), 44px);
  color: %(text)s; }
.wall-agenda b { color: %(accent)s; }
.st-key-wall-board, .st-key-wall-board [data-testid="stVerticalBlock"] { gap: 1.2vh; }
.wall-empty { font-size: clamp(24px, 2.2vw, 56px); color: %(secondary)s; font-family: system-ui, sans-serif; }
</style>"""

_THEMES = {
    # background, text, secondary text (on the background at 10:1 or more), card, border, accent
    "default": ("#ffffff", "#111111", "#333333", "#f3f3f3", "#cccccc", "#0b5394"),
    "contrast": ("#000000", "#ffffff", "#e6e6e6", "#000000", "#ffffff", "#ffd500"),
}


def _style(aspect: str, contrast: bool) -> None:
    background, text, secondary, card, border, accent = _THEMES["contrast" if contrast else "default"]
    st.html(CHROME)
    st.html(
        markup.html(
            THEME,
            background=background,
            text=text,
            secondary=secondary,
            card=card,
            border=border,
            accent=accent,
            # 16:9: the panel is a column beside the questions, its code above its words; 4:3: under them.
            direction="column" if aspect == "16:9" else "row",
            qr="min(34vh, 26vw)" if aspect == "16:9" else "min(26vh, 34vw)",
        )
    )


CONTRAST_ON = ("high", "1", "true", "yes")


def high_contrast(value: str | None) -> bool:
    """``?contrast=high`` (or ``1``, ``true``, ``yes``): the high-contrast theme."""
    return (value or "").strip().lower() in CONTRAST_ON


def projector_style(aspect: str = "16:9", contrast: bool = False) -> None:
    """The projector's stylesheets: no menu or controls, the theme, sizes for the layout."""
    _style(aspect, contrast)


def projector_layout(aspect: str = "16:9"):
    """Two areas: the question(s), and the join panel. 16:9: side by side (the panel a quarter of the
    width); 4:3: the panel under the questions, its code beside its words, so the question keeps the width."""
    if aspect == "4:3":
        return st.container(key="hall-main"), st.container(key="hall-side")
    main, side = st.columns([3, 1], gap="large", vertical_alignment="center")
    return main.container(key="hall-main"), side.container(key="hall-side")


TOP_QUESTION = """<p class="hall-top"><span class="votes">▲ %(votes)s</span>
<span class="text" lang="%(lang)s" dir="auto">%(text)s</span></p>"""
HINT = """<p class="hall-join-hint">%(text)s</p>"""


def top_questions_panel(questions: list[TopQuestion], gettext: Gettext = _same) -> None:
    """The session's top approved questions with their votes (when none is on screen), verbatim."""
    if not questions:
        st.html(markup.html(HINT, text=gettext("Questions will appear here.")))
    for q in questions:
        st.html(markup.html(TOP_QUESTION, votes=q.votes, lang=language_tag(q.language), text=q.text))


# --- The social wall ---------------------------------------------------------------------------


def wall_style(contrast: bool = False) -> None:
    """The wall's stylesheets (its join panel as on a 16:9 projector)."""
    _style("16:9", contrast)


POST = """<div class="wall-card wall-post" data-post="%(post)s" style="border-left-color: %(colour)s">
<p class="wall-who" dir="auto">%(who)s</p><p class="wall-handle" dir="auto">%(handle)s</p>
<p class="wall-meta" dir="auto">%(meta)s</p>
<p class="wall-cw" dir="auto">%(warning)s</p><p class="wall-text" dir="auto">%(text)s</p>
<p class="wall-images">%(images)s</p></div>"""
ANNOUNCEMENT = """<div class="wall-card wall-announcement"><p class="wall-text" dir="auto">%(text)s</p></div>"""
AGENDA_SLOT = """<p class="wall-agenda"><b>%(label)s</b> %(slot)s</p>"""
WALL_EMPTY = """<p class="wall-empty">%(text)s</p>"""
COLUMNS = 3  # posts a row on a 16:9 screen


def _post(item: WallItem, zone: str, t: Translator) -> None:
    # The handle on a line of its own, then the time, network and group: each line cut with "…" where
    # too long, so a long handle (a Mastodon one with its instance) no longer hides the network.
    meta = [to_local(item.created_at, zone).strftime("%H:%M"), display.network_label(item.network), item.group_label]
    st.html(
        markup.html(
            POST,
            post=item.post_id,
            colour=item.group_colour or "#888888",
            who=item.name or item.handle,
            handle=f"@{item.handle}" if item.handle else "",
            meta=" · ".join(filter(None, meta)),
            warning=t.gettext("CW: {warning}").format(warning=item.content_warning) if item.content_warning else "",
            text=item.text,
            images="▧ "
            + t.ngettext("{n} image (not shown)", "{n} images (not shown)", item.images).format(n=t.number(item.images))
            if item.images
            else "",
        )
    )


def _slot(slot: Slot, zone: str, language: str | None = None) -> str:
    """A "now / next" line: the times in the event's zone, the title in the screen's ``language``."""
    room = f" · {slot.room}" if slot.room else ""
    title = translations.in_language(slot.title, slot.titles, language)
    return f"{to_local(slot.starts_at, zone):%H:%M}–{to_local(slot.ends_at, zone):%H:%M}  {title}{room}"


def wall_board(
    items: list[WallItem],
    announcements: list[str],
    current: Slot | None,
    upcoming: Slot | None,
    zone: str,
    *,
    every: int = COLUMNS,
    turn: int = 0,
    t: Translator | None = None,
) -> None:
    """Draw the wall: "now / next" from the agenda, then the posts a row at a time with an announcement
    after every ``every`` posts (a different one each ``turn``, so each gets its time on a busy wall).
    Our own words and the agenda's titles in ``t``'s language (the screen's ``?lang=``, else the
    event's); posts as written."""
    t = t or i18n.translator(i18n.DEFAULT)
    if current is not None:
        st.html(markup.html(AGENDA_SLOT, label=t.gettext("Now"), slot=_slot(current, zone, t.code)))
    if upcoming is not None:
        st.html(markup.html(AGENDA_SLOT, label=t.gettext("Next"), slot=_slot(upcoming, zone, t.code)))
    if not items:
        st.html(markup.html(WALL_EMPTY, text=t.gettext("Posts will appear here.")))
    for first in range(0, len(items), COLUMNS):
        for column, item in zip(st.columns(COLUMNS), items[first : first + COLUMNS], strict=False):
            with column:
                _post(item, zone, t)
        if announcements and (first + COLUMNS) % every == 0:
            st.html(markup.html(ANNOUNCEMENT, text=announcements[(turn + first // every) % len(announcements)]))
    if announcements and len(items) < every:
        for text in announcements:
            st.html(markup.html(ANNOUNCEMENT, text=text))


def rotation(items: list[WallItem], size: int, tick: int) -> list[WallItem]:
    """A rotating wall's page at ``tick``: ``size`` posts at a time, moving on by a page each tick."""
    if len(items) <= size:
        return items
    pages = -(-len(items) // size)
    start = (tick % pages) * size
    return items[start : start + size]
