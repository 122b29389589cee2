"""The screens in the hall: the projector's pieces (the join panel, the top questions, 16:9 and 4:3
layouts, a high-contrast theme) and the social wall's board.

Everything here that came from a person (a question, a post, a name, a handle, an announcement) is
escaped with ``html.escape`` before it goes into ``st.html``: shown verbatim, never as markup. A
group's colour goes into a style only when it is a ``#rrggbb`` value (``wall.listing.safe_colour``).
No image is ever loaded from elsewhere: the QR code is drawn here by ``segno`` as an SVG data URI,
and a post's images are only counted.

Sizes, for a hall whose back row sits 10 m from a 3 m wide image (1920 px: 1.6 mm a pixel): a line
readable there needs letters about 45 mm tall (the 1:200 rule of thumb of signage), so the wall's
post text is at least 28 px and grows with the window (2.4 vw: 46 px at 1920 px), the highlighted
question 4.6 vw as the projector had it, and the QR code at least 30 % of the screen's height (at
3-Q, 29 modules for a short URL: 11 mm a module on a 2 m high image, which a phone reads from well
past 10 m). The high-contrast theme is white on black (21:1); the default is dark text on white
with secondary text at 10:1 or more (Pigeonhole's projector guidance).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

import segno
import streamlit as st

from engagement import settings
from engagement.analysis import display
from engagement.qa.projector import TopQuestion
from engagement.timeutil import to_local
from engagement.ui.qa import language_tag
from engagement.wall.listing import Slot, WallItem

ASPECTS = ("16:9", "4:3")
Gettext = Callable[[str], str]


def _same(text: str) -> str:
    return text


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


def join_panel(session_key: str | None, language: str | None = None, gettext: Gettext = _same) -> str:
    """Draw how to join: the QR code and the short URL of the Ask page for the session. Returns the URL."""
    url = ask_url(session_key, language)
    st.html(
        f"""<div class="hall-join">
  <img class="hall-qr" alt="{html.escape(gettext("QR code of the link to ask a question"))}"
       src="{qr_data_uri(url)}" data-url="{html.escape(url)}">
  <div class="hall-join-words">
    <p class="hall-join-title">{html.escape(gettext("Ask a question"))}</p>
    <p class="hall-join-hint">{html.escape(gettext("Scan the code, or go to"))}</p>
    <p class="hall-join-url">{html.escape(short_url(url))}</p>
  </div>
</div>"""
    )
    return url


# --- The projector's layout and theme ----------------------------------------------------------

_CHROME = """[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 2vh; padding-bottom: 1vh; max-width: 98vw; }"""

_THEMES = {
    # (background, text, secondary text, card, accent); secondary on background ≥ 10:1
    "default": ("#ffffff", "#111111", "#333333", "#f3f3f3", "#0b5394"),
    "contrast": ("#000000", "#ffffff", "#e6e6e6", "#000000", "#ffd500"),
}


def _join_css(aspect: str, text: str, secondary: str, accent: str) -> str:
    qr = "min(34vh, 26vw)" if aspect == "16:9" else "min(26vh, 34vw)"
    return f"""
.hall-join {{ display: flex; flex-direction: {"column" if aspect == "16:9" else "row"}; align-items: center;
  gap: 2vh 2vw; font-family: system-ui, sans-serif; }}
.hall-qr {{ width: {qr}; height: {qr}; image-rendering: pixelated; background: #ffffff; }}
.hall-join-words p {{ margin: 0; color: {text}; text-align: center; }}
.hall-join-title {{ font-size: clamp(24px, 2.6vw, 64px); font-weight: 700; }}
.hall-join-hint {{ font-size: clamp(18px, 1.6vw, 40px); color: {secondary} !important; }}
.hall-join-url {{ font-size: clamp(22px, 2.2vw, 56px); font-weight: 700; color: {accent} !important;
  overflow-wrap: anywhere; }}"""


def projector_style(aspect: str = "16:9", contrast: bool = False) -> None:
    """The projector's constant stylesheet: no menu or controls, the theme, sizes for the layout."""
    background, text, secondary, card, accent = _THEMES["contrast" if contrast else "default"]
    st.html(f"""<style>
{_CHROME}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: {background}; color: {text}; }}
.stApp [data-testid="stText"], .stApp p {{ color: {text}; }}
{_join_css(aspect, text, secondary, accent)}
.hall-top {{ list-style: none; margin: 0; padding: 0; font-family: system-ui, sans-serif; }}
.hall-top li {{ display: flex; gap: 1.5vw; align-items: baseline; padding: 1.2vh 0;
  border-bottom: 2px solid {secondary}; }}
.hall-top .votes {{ min-width: 4ch; text-align: end; font-weight: 700; color: {accent};
  font-size: clamp(22px, 2.4vw, 60px); }}
.hall-top .text {{ font-size: clamp(22px, 2.4vw, 60px); line-height: 1.25; white-space: pre-wrap;
  overflow-wrap: anywhere; unicode-bidi: plaintext; color: {text}; }}
</style>""")


def projector_layout(aspect: str = "16:9"):
    """Two areas: the question(s), and the join panel. 16:9: side by side (the panel a quarter of the
    width); 4:3: the panel under the questions, its code beside its words, so the question keeps the width."""
    if aspect == "4:3":
        return st.container(key="hall-main"), st.container(key="hall-side")
    main, side = st.columns([3, 1], gap="large", vertical_alignment="center")
    return main.container(key="hall-main"), side.container(key="hall-side")


def top_questions_panel(questions: list[TopQuestion], gettext: Gettext = _same) -> None:
    """The session's top approved questions with their votes (when none is on screen), verbatim."""
    if not questions:
        st.html(f'<p class="hall-join-hint">{html.escape(gettext("Questions will appear here."))}</p>')
        return
    items = "".join(
        f'<li><span class="votes">▲ {q.votes}</span>'
        f'<span class="text" lang="{html.escape(language_tag(q.language))}" dir="auto">{html.escape(q.text)}</span></li>'
        for q in questions
    )
    st.html(f'<ol class="hall-top">{items}</ol>')


# --- The social wall ---------------------------------------------------------------------------


def wall_style(contrast: bool = False) -> None:
    """The wall's constant stylesheet."""
    background, text, secondary, card, accent = _THEMES["contrast" if contrast else "default"]
    border = "#ffffff" if contrast else "#cccccc"
    st.html(f"""<style>
{_CHROME}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: {background}; color: {text}; }}
.wall {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(max(28vw, 360px), 1fr)); gap: 2vh 1.5vw;
  font-family: system-ui, sans-serif; }}
.wall-card {{ background: {card}; border: 2px solid {border}; border-left-width: 12px; border-radius: 8px;
  padding: 1.5vh 1.2vw; color: {text}; }}
.wall-card p {{ margin: 0; color: {text}; }}
.wall-who {{ font-size: clamp(18px, 1.5vw, 36px); font-weight: 700; overflow-wrap: anywhere; }}
.wall-meta {{ font-size: clamp(16px, 1.2vw, 30px); color: {secondary} !important; overflow-wrap: anywhere; }}
.wall-text {{ font-size: clamp(28px, 2.4vw, 60px); line-height: 1.3; white-space: pre-wrap; overflow-wrap: anywhere;
  unicode-bidi: plaintext; margin-top: 1vh !important; }}
.wall-cw {{ font-size: clamp(18px, 1.4vw, 34px); font-style: italic; color: {secondary} !important; }}
.wall-images {{ font-size: clamp(16px, 1.2vw, 30px); color: {secondary} !important; margin-top: 1vh !important; }}
.wall-announcement {{ border-color: {accent}; border-left-color: {accent}; }}
.wall-announcement .wall-text {{ font-weight: 700; }}
.wall-agenda {{ display: flex; gap: 3vw; flex-wrap: wrap; font-family: system-ui, sans-serif; margin-bottom: 2vh;
  font-size: clamp(20px, 1.8vw, 44px); color: {text}; }}
.wall-agenda b {{ color: {accent}; }}
.wall-empty {{ font-size: clamp(24px, 2.2vw, 56px); color: {secondary}; font-family: system-ui, sans-serif; }}
{_join_css("16:9", text, secondary, accent)}
</style>""")


def _post_card(item: WallItem, zone: str) -> str:
    colour = item.group_colour or "#888888"
    meta = " · ".join(
        filter(
            None,
            [
                f"@{item.handle}" if item.handle else "",
                display.network_label(item.network),
                item.group_label or "",
                to_local(item.created_at, zone).strftime("%H:%M"),
            ],
        )
    )
    warning = f'<p class="wall-cw">CW: {html.escape(item.content_warning)}</p>' if item.content_warning else ""
    images = ""
    if item.images:
        images = f'<p class="wall-images">▧ {item.images} image{"s" if item.images != 1 else ""} (not shown)</p>'
    return (
        f'<div class="wall-card wall-post" data-post="{item.post_id}" style="border-left-color: {colour}">'
        f'<p class="wall-who" dir="auto">{html.escape(item.name or item.handle)}</p>'
        f'<p class="wall-meta" dir="auto">{html.escape(meta)}</p>{warning}'
        f'<p class="wall-text" dir="auto">{html.escape(item.text)}</p>{images}</div>'
    )


def _announcement_card(text: str) -> str:
    return f'<div class="wall-card wall-announcement"><p class="wall-text" dir="auto">{html.escape(text)}</p></div>'


def _slot(label: str, slot: Slot | None, zone: str) -> str:
    if slot is None:
        return ""
    when = f"{to_local(slot.starts_at, zone):%H:%M}–{to_local(slot.ends_at, zone):%H:%M}"
    room = f" · {slot.room}" if slot.room else ""
    return f"<span><b>{html.escape(label)}</b> {html.escape(f'{when}  {slot.title}{room}')}</span>"


def wall_board(
    items: list[WallItem],
    announcements: list[str],
    current: Slot | None,
    upcoming: Slot | None,
    zone: str,
    *,
    every: int = 3,
    turn: int = 0,
) -> None:
    """Draw the wall: "now / next" from the agenda, then the posts with an announcement after every
    ``every`` posts (a different one each ``turn``, so each gets its time on a busy wall)."""
    agenda = _slot("Now", current, zone) + _slot("Next", upcoming, zone)
    cards = []
    for n, item in enumerate(items):
        cards.append(_post_card(item, zone))
        if announcements and (n + 1) % every == 0:
            cards.append(_announcement_card(announcements[(turn + n // every) % len(announcements)]))
    if announcements and len(items) < every:
        cards.extend(_announcement_card(text) for text in announcements)
    body = "".join(cards) or '<p class="wall-empty">Posts will appear here.</p>'
    st.html(f'<div class="wall-agenda">{agenda}</div><div class="wall">{body}</div>')


def rotation(items: list[WallItem], size: int, tick: int) -> list[WallItem]:
    """A rotating wall's page at ``tick``: ``size`` posts at a time, moving on by a page each tick."""
    if len(items) <= size:
        return items
    pages = -(-len(items) // size)
    start = (tick % pages) * size
    return items[start : start + size]
