"""What the three Q&A pages share: the participant's token and language, the moderator's name, the session picker.

The language (``engagement.i18n.resolve``): ``?lang=`` first, then the participant's choice in the
picker, then the browser's (``st.context.locale``), then the event's first language. A ``?lang=`` or a
choice is remembered for the browser session and written back into the URL, so it survives a page
change (Streamlit drops the query on one) and goes with a copied link. ``document_language`` sets
``<html lang>``, which Streamlit hard-codes to ``en``, with a few lines of our own script.

Participants' text is shown by ``user_text``: escaped here, in an element that carries its own
``lang`` (the detected language; ``lang=""`` when none was) and ``dir="auto"``.

Accessibility (docs/accessibility.md): ``accessible_style`` is the app-wide stylesheet that fixes what
the axe audit found in Streamlit's own look (faded captions, the selected segment's red, the date
field's small segments, focus hidden under the sticky header); ``held_order`` keeps the live question
list from reordering under a reader: new questions wait behind a "Show N new questions" button.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from engagement import i18n, settings
from engagement.analysis import analytics, live
from engagement.i18n import N_, Translator
from engagement.qa import participants
from engagement.rules import translations
from engagement.rules.event import EventConfigError, load_event
from engagement.storage import db, flags
from engagement.ui import auth, markup

NO_SESSION = N_("No session takes questions yet.")
LANG_PARAM = "lang"
CHOSEN_KEY = "lang-chosen"
PICKER_KEY = "lang-picker"
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
# The menu titles a participant sees (engagement/ui/menu.py), marked here so that the catalog holds them.
PARTICIPANT_MENU = (N_("Participate"), N_("Ask a question"), N_("Account"))


# Read once per event folder: the event's languages change with a restart, like the rest of event.toml.
@lru_cache(maxsize=4)
def _event_languages(data_dir: str) -> tuple[str, ...]:
    try:
        return tuple(load_event(Path(data_dir)).languages)
    except (EventConfigError, OSError):  # no event files to read: English, as for any other gap
        return ()


def _browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # outside a browser session (AppTest, a bare script run): nothing to go by
        return None


def language() -> str:
    """The page's language; a valid ``?lang=`` becomes the session's choice and stays in the URL."""
    asked = i18n.supported(st.query_params.get(LANG_PARAM))
    if asked:
        st.session_state[CHOSEN_KEY] = asked
    chosen = st.session_state.get(CHOSEN_KEY)
    if chosen and st.query_params.get(LANG_PARAM) != chosen:
        st.query_params[LANG_PARAM] = chosen
    return i18n.resolve(
        query=asked,
        chosen=chosen,
        browser=_browser_locale(),
        event_languages=_event_languages(str(settings.data_dir())),
    )


def translator() -> Translator:
    """The ``Translator`` of the page's language (``language``)."""
    return i18n.translator(language())


def link(path: str, **params: str) -> str:
    """A link the app makes (``/screen?session=…``), carrying the chosen ``?lang=`` with it."""
    chosen = st.session_state.get(CHOSEN_KEY)
    query = {**params, **({LANG_PARAM: chosen} if chosen else {})}
    return f"{path}?{urlencode(query)}" if query else path


def _choose() -> None:
    picked = i18n.supported(st.session_state.get(PICKER_KEY))
    if picked:
        st.session_state[CHOSEN_KEY] = picked
        st.query_params[LANG_PARAM] = picked


def language_picker(t: Translator) -> None:
    """The participant's own choice: the six languages, each by its own name (an endonym)."""
    st.session_state[PICKER_KEY] = t.code
    codes: list[str] = list(i18n.LANGUAGES)
    st.selectbox(
        t.gettext("Language"),
        codes,
        format_func=lambda code: i18n.ENDONYMS[code],
        key=PICKER_KEY,
        on_change=_choose,
        icon=":material/translate:",
        placeholder=t.gettext("Choose an option"),
        width=220,
    )


# Our own constant script (only language codes and our endonyms are put in, as JSON): the document's
# language, and ``lang`` on the picker's options (Streamlit renders them as bare text) and on the
# projector's question. A MutationObserver keeps them as Streamlit redraws the page.
_SCRIPT = """<style>.st-key-document-language { display: none; }</style><script>
(() => {
  const doc = document;
  window.__pageLanguage = %(code)s;
  window.__endonyms = %(endonyms)s;
  const tag = () => {
    if (doc.documentElement.lang !== window.__pageLanguage) doc.documentElement.lang = window.__pageLanguage;
    const byName = window.__endonyms;
    doc.querySelectorAll('[role="option"], .st-key-lang-picker [data-baseweb="select"] div').forEach((el) => {
      const code = byName[el.textContent.trim()];
      const holdsTheName = el.getAttribute("role") === "option" || el.children.length === 0;
      if (code && holdsTheName && el.lang !== code) el.lang = code;
    });
    doc.querySelectorAll('.st-key-lang-picker input').forEach((el) => {
      if (el.lang !== window.__pageLanguage) el.lang = window.__pageLanguage;
    });
    doc.querySelectorAll('[class*="st-key-user-lang-"]').forEach((el) => {
      const found = [...el.classList].find((c) => c.startsWith("st-key-user-lang-"));
      const code = found.slice("st-key-user-lang-".length);
      const wanted = code === "und" ? "" : code;
      if (el.getAttribute("lang") !== wanted) el.setAttribute("lang", wanted);
      if (el.getAttribute("dir") !== "auto") el.setAttribute("dir", "auto");
    });
  };
  if (!window.__languageObserver) {
    window.__languageObserver = new MutationObserver(tag);
    window.__languageObserver.observe(doc.body, { childList: true, subtree: true });
  }
  tag();
})();
</script>"""


def document_language(code: str) -> None:
    """Set ``<html lang>`` to ``code`` in the browser (Streamlit serves ``lang="en"`` whatever the page says)."""
    code = i18n.supported(code) or i18n.DEFAULT
    endonyms = {name: language for language, name in i18n.ENDONYMS.items()}
    with st.container(key="document-language"):
        st.html(markup.script(_SCRIPT, code=code, endonyms=endonyms), unsafe_allow_javascript=True)


def language_tag(code: str | None) -> str:
    """A safe ``lang`` value for a stored language code; "" (unknown) when there is none or it is malformed."""
    return code if code and LANGUAGE_TAG.fullmatch(code) else ""


USER_TEXT_STYLE = """<style>
.user-text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; unicode-bidi: plaintext;
  font-family: "Source Sans", sans-serif; font-size: 1rem; line-height: 1.5; }
</style>"""


def user_language_key(code: str | None) -> str:
    """The key of a container whose text is in ``code``: the page's script gives it ``lang`` and ``dir="auto"``
    (for text that stays in ``st.text``, such as the projector's question)."""
    return f"user-lang-{language_tag(code) or 'und'}"


USER_TEXT = '<p class="%(css_class)s" lang="%(lang)s" dir="auto">%(text)s</p>'


def user_text(text: str, language: str | None, css_class: str = "user-text") -> None:
    """A participant's text, verbatim: escaped here, with its own ``lang`` and ``dir="auto"``."""
    st.html(markup.html(USER_TEXT, css_class=css_class, lang=language_tag(language), text=text))


def participant_hash() -> str:
    """This browser session's participant: a random token kept in the session, a keyed hash sent to the database."""
    if "participant-hash" not in st.session_state:
        token = participants.new_token()
        with db.writing() as session:
            key = participants.secret(session, auth.setting("PARTICIPANT_TOKEN_SECRET"))
        st.session_state["participant-token"] = token
        st.session_state["participant-hash"] = participants.hash_token(token, key)
    return st.session_state["participant-hash"]


def moderator_name() -> str:
    """Who the audit log names: the identity provider's name, or the name a moderator typed on this page."""
    if auth.oidc_configured():
        try:
            if st.user.is_logged_in:
                return str(st.user.get("name") or st.user.get("email") or "").split("@")[0]
        except AttributeError:
            pass
    t = i18n.translator(language())
    return st.text_input(
        t.gettext("Your name, for the audit log"),
        key="moderator-name",
        max_chars=60,
        placeholder=t.gettext("e.g. Ana (hall A)"),
    ).strip()


@st.cache_data(ttl=30, show_spinner=False)
def _titles(url: str, lang: str) -> dict[int, str]:
    with db.reading(url) as session:
        return translations.titles_in(session, lang)


@st.cache_data(ttl=30, show_spinner=False)
def _agenda(url: str) -> tuple[pd.DataFrame, str | None]:
    with db.reading(url) as session:
        agenda = analytics.sessions(session)
        now = flags.now(session)
        current, upcoming = live.now_and_next(session, now)
    preferred = next((s.key for s in (current, upcoming) if s is not None and s.kind != "break"), None)
    return agenda, preferred


def session_picker(key: str, label: str = "Session", t: Translator | None = None) -> int | None:
    """A session select box, preselecting the link's ``?session=`` key, else the session running now
    (else the next one); ``t``: the
    participant's language for the notice when no session takes questions."""
    agenda, preferred = _agenda(settings.database_url())
    if agenda.empty:
        st.info((t or i18n.translator(i18n.DEFAULT)).gettext(NO_SESSION))
        return None
    ids = [int(i) for i in agenda["id"]]
    titles = dict(zip(ids, agenda["title"], strict=True))
    if t is not None:  # the event files' titles in the participant's language, where they give one
        titles |= _titles(settings.database_url(), t.code)
    keys = list(agenda["key"])
    # A link may name the session (?session=<key>: the projector's QR code does); else the one now.
    linked = st.query_params.get("session")
    chosen = linked if linked in keys else preferred
    index = keys.index(chosen) if chosen in keys else 0
    placeholder = (t or i18n.translator(i18n.DEFAULT)).gettext("Choose an option")
    return st.selectbox(
        label, ids, index=index, format_func=lambda i: titles.get(i, str(i)), key=key, placeholder=placeholder
    )


def session_by_key(key: str | None) -> int | None:
    agenda, preferred = _agenda(settings.database_url())
    wanted = key or preferred
    match = agenda[agenda["key"] == wanted]
    return int(match["id"].iloc[0]) if not match.empty else None


def session_key(session_id: int) -> str | None:
    agenda, _ = _agenda(settings.database_url())
    match = agenda[agenda["id"] == session_id]
    return str(match["key"].iloc[0]) if not match.empty else None


# The app-wide stylesheet (the entry point draws it on every page). Each rule answers a finding of the
# axe audit (tests/test_browser_a11y.py) on Streamlit 1.67's light theme:
# - captions: Streamlit draws them at 60 % of the text colour, a grey at 3.88:1 on white; at 80 % of the
#   text colour they reach 6.7:1 on white and 6.2:1 on the sidebar's grey, in either theme (opacity
#   follows whatever colour the theme gives the text);
# - a selected segment (the Q&A sort, the queue's tabs, the Period filter) is red on pink: 4.47:1 and
#   4.23:1; the darker red gives 6.5:1 and 6.1:1. Only in the light scheme: Streamlit follows the
#   system's and the minimal toolbar offers no other, so the media query picks Streamlit's theme;
# - a segment's text is on one line in a box of fixed height that hides what overflows: with the text
#   spacing of WCAG 1.4.12 ("Most votes", "Newest") it was cut off; it wraps, and the box grows;
# - the date field's day, month and year are 18 × 20 px targets (2.5.8 asks 24 × 24);
# - a focused control gets a 2 px outline at 6.3:1 (Streamlit draws none on several: segments, menu
#   links, the sidebar's buttons, a checkbox, whose hidden input has it drawn on its label), and the
#   page scrolls a focused control clear of the sticky header (2.4.11: 3.75rem high in 1.67); a table's toolbar (search, download, columns), which Streamlit
#   shows on hover only, comes up over the table while one of its buttons has the keyboard focus.
ACCESSIBLE_STYLE = """<style>
[data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.8; }
@media (prefers-color-scheme: light) {
  [data-testid="stButtonGroup"] button[data-selected="true"],
  [data-testid="stButtonGroup"] button[data-selected="true"] p { color: #a3202f !important; }
}
[data-testid="stButtonGroup"] button { height: auto !important; }
[data-testid="stButtonGroup"] button * { white-space: normal !important; }
[data-testid="stDateInput"] [role="spinbutton"] { display: inline-block; min-width: 24px; min-height: 24px;
  line-height: 24px; text-align: center; }
a:focus-visible, button:focus-visible, summary:focus-visible, [role="button"]:focus-visible,
[role="tab"]:focus-visible, [role="option"]:focus-visible, [role="checkbox"]:focus-visible,
input:focus-visible, textarea:focus-visible, [tabindex]:focus-visible {
  outline: 2px solid #1a5fb4 !important; outline-offset: 2px; }
label[data-focus-visible="true"] { outline: 2px solid #1a5fb4; outline-offset: 2px; }
[data-testid="stElementToolbar"]:focus-within { opacity: 1 !important; z-index: 1000 !important; }
html, [data-testid="stMain"], [data-testid="stAppScrollToBottomContainer"] { scroll-padding-top: 4.5rem;
  scroll-padding-bottom: 1rem; }
</style>"""


def accessible_style() -> None:
    """The app-wide stylesheet (``ACCESSIBLE_STYLE``): drawn once a run by the entry point."""
    st.html(ACCESSIBLE_STYLE)


def held_order(shown: list[int] | None, current: list[int]) -> tuple[list[int], list[int]]:
    """The questions to list and the new ones held back: ``shown`` is the order the reader has (None: none
    yet, so ``current`` as it is), ``current`` the order now. Questions already shown keep their places
    (one no longer published drops out); newer ones are held back until the reader asks for them, so
    the list never moves under someone reading it or about to press a vote button (WCAG 2.2.2)."""
    if shown is None:
        return list(current), []
    present = set(current)
    kept = [question for question in shown if question in present]
    seen = set(kept)
    return kept, [question for question in current if question not in seen]
