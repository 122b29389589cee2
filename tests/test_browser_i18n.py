"""The participant's languages in Chromium: /ask?lang=ru on a phone shows no English word of ours, the
document says ``<html lang="ru">``, the choice survives a page change; the browser's language and the
picker choose too, and each question carries its own ``lang`` and ``dir="auto"``, shown verbatim."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from engagement import i18n
from engagement.i18n import translator
from engagement.qa.language import detect
from engagement.rules.event import load_agenda, load_event
from engagement.rules.sync import sync_event
from engagement.storage import db, flags

from .helpers.browser import CHROMIUM, HOSTILE, PIXEL, Watched, nav_labels, serve

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not __import__("os").environ.get("CI"),
    reason="needs Debian's chromium (.ci/run installs it; in CI its absence fails)",
)
PHONE = {"width": 390, "height": 844}
# Streamlit's own English that a participant can meet on /ask (docs/accessibility.md#what-stays-english):
# the form's keyboard hint, shown while a field of the form has the focus.
STREAMLIT_OWN = ("Press Enter to submit form", "Press ⌘+Enter to submit form", "Press Ctrl+Enter to submit form")
# Every visible text node of the page (and the values and placeholders of its fields) that is not inside
# a participant's own text (.user-text, a text field) or an icon's ligature name.
VISIBLE_TEXT = """() => {
  const out = [];
  const shown = (el) => el.checkVisibility({ visibilityProperty: true, opacityProperty: true })
    && el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.trim();
    if (!text || !el || el.closest('.user-text, [data-testid="stIconMaterial"], script, style, textarea')) continue;
    // An icon is a ligature of the Material Symbols font ("error", "thumb_up"): a glyph, not a word.
    if (shown(el) && !getComputedStyle(el).fontFamily.includes("Material")) out.push(text);
  }
  for (const field of document.querySelectorAll("input, textarea")) {
    if (!shown(field) || ["hidden", "checkbox", "radio"].includes(field.type)) continue;
    // A select box shows its option's label (ours); a text field shows what the participant typed (theirs),
    // or its placeholder while empty.
    if (field.value) { if (field.getAttribute("role") === "combobox") out.push(field.value); }
    else if (field.placeholder) out.push(field.placeholder);
  }
  return out;
}"""
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def english_msgids() -> tuple[set[str], set[str]]:
    """Our English words, from both catalogs' templates: each message's text without its
    ``{placeholders}``, whole (a one-word label such as "Session") and in its pieces of two words or more."""
    whole, pieces = set(), set()
    for template in ("messages.pot", "staff.pot"):
        with (i18n.HERE / template).open("rb") as source:
            for message in read_po(source):
                for text in message.id if isinstance(message.id, tuple) else (message.id,):
                    if not text:
                        continue
                    whole.add(i18n.PLACEHOLDER.sub("", text).strip())
                    for piece in i18n.PLACEHOLDER.split(text):
                        piece = piece.strip(" .,:;·()–—")
                        if len(LATIN_WORD.findall(piece)) >= 2:
                            pieces.add(piece)
    return whole - {""}, pieces


def our_english_shown(watched: Watched) -> list[str]:
    """The page's visible texts that are, or hold, an English text of our catalogs."""
    whole, pieces = english_msgids()
    found = []
    for shown in watched.page.evaluate(VISIBLE_TEXT):
        if shown.strip() in whole or any(piece in shown for piece in pieces):
            found.append(shown[:80])
    return found


@pytest.fixture
def qa_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'qa.db'}"
    with db.writing(url) as session:
        sync_event(session)
        flags.set_replay_clock(session, datetime(2018, 4, 23, 9, 30, tzinfo=UTC))  # Panel 1 running
    db.dispose_engines()
    return url


def phone(browser, locale: str = "en-US") -> Watched:
    """A phone-sized page whose browser asks for ``locale``, recording dialogs and requests as Watched does."""
    watched = Watched(browser)
    watched.page.close()
    watched.page = browser.new_page(viewport=PHONE, locale=locale, is_mobile=True, has_touch=True)
    watched.page.on("request", lambda request: watched.requests.append(request.url))
    watched.page.on("dialog", lambda dialog: (watched.dialogs.append(dialog.message), dialog.dismiss()))
    return watched


def english_of_ours(watched: Watched) -> list[str]:
    """Latin-script words on the page that are neither the event's data (its name, the session's title)
    nor Streamlit's own listed texts: on a Russian page, every one of them would be an untranslated word."""
    data = (
        load_event().name,
        *sorted((s.title for s in load_agenda(load_event())), key=len, reverse=True),
        *STREAMLIT_OWN,
    )
    found = []
    for shown in watched.page.evaluate(VISIBLE_TEXT):
        text = shown
        for known in data:
            text = text.replace(known, " ")
        found += [f"{word} (in {shown[:80]!r})" for word in LATIN_WORD.findall(text)]
    return found


def open_sidebar_and_go(watched: Watched, url_path: str) -> None:
    page = watched.page
    expand = page.get_by_test_id("stExpandSidebarButton")  # a phone starts with the menu folded away
    if expand.is_visible():
        expand.click()
    page.locator(f'[data-testid="stSidebarNavLink"][href$="/{url_path}"]').click()
    watched.settle()


def test_ask_in_russian_on_a_phone(qa_db, browser):
    hostile = "\n".join(HOSTILE)
    arabic = "كيف تحمي الدول ضحايا الاتجار بالبشر؟"
    with serve(qa_db) as base:
        watched = phone(browser)
        page = watched.open(f"{base}/ask?lang=ru")
        page.wait_for_selector('h1:has-text("Задать вопрос")', timeout=30_000)
        assert page.evaluate("document.documentElement.lang") == "ru"
        page.get_by_text("Указать имя, группу или организацию").click()  # the consent note and the fields
        page.wait_for_selector("text=Вопросы анонимны", timeout=30_000)
        assert english_of_ours(watched) == [] and our_english_shown(watched) == []

        # A refusal from the core, in Russian: a name without consent.
        page.get_by_role("textbox", name="Ваш вопрос").fill(hostile)
        page.get_by_role("textbox", name="Имя").fill("Ана")
        page.get_by_role("button", name="Отправить вопрос").click()
        watched.settle()
        page.wait_for_selector("text=подтвердите согласие", timeout=30_000)
        assert english_of_ours(watched) == [] and our_english_shown(watched) == []

        page.get_by_role("textbox", name="Имя").fill("")
        page.get_by_role("button", name="Отправить вопрос").click()
        watched.settle()
        page.wait_for_selector("text=Ваш вопрос передан модераторам", timeout=30_000)
        page.get_by_role("textbox", name="Ваш вопрос").fill(arabic)
        page.get_by_role("button", name="Отправить вопрос").click()
        watched.settle()
        page.wait_for_selector(f"p.user-text:has-text('{arabic}')", timeout=30_000)
        assert english_of_ours(watched) == [] and our_english_shown(watched) == []

        # The participant's questions: verbatim, nothing rendered or fetched, each with its own lang and dir.
        for text in (hostile, arabic):
            (mine,) = [p for p in page.locator("p.user-text").all() if p.inner_text() == text]
            assert mine.get_attribute("dir") == "auto"
            assert mine.get_attribute("lang") == (detect(text) or "")
        assert detect(arabic) == "ar"
        assert page.locator(".user-text img, .user-text a, .user-text script, .katex").count() == 0

        # A page change and back: the language stays, in the URL and in the document.
        open_sidebar_and_go(watched, "account")
        assert "lang=ru" in page.url
        open_sidebar_and_go(watched, "ask")
        page.wait_for_selector('h1:has-text("Задать вопрос")', timeout=30_000)
        assert "lang=ru" in page.url and page.evaluate("document.documentElement.lang") == "ru"
        assert watched.count("stException") == 0
        assert watched.dialogs == [] and not any(PIXEL in url for url in watched.requests)
        watched.close()


def test_the_browsers_language_then_the_picker_choose(qa_db, browser):
    with serve(qa_db) as base:
        watched = phone(browser, locale="de-AT")
        page = watched.open(f"{base}/ask")
        page.wait_for_selector('h1:has-text("Eine Frage stellen")', timeout=30_000)
        assert page.evaluate("document.documentElement.lang") == "de"
        assert "lang=" not in page.url  # the browser's language is not a choice: nothing to carry

        picker = page.locator(".st-key-lang-picker")
        picker.get_by_role("combobox").click()
        options = page.get_by_role("option")
        options.first.wait_for(timeout=30_000)
        names = {options.nth(n).inner_text(): options.nth(n).get_attribute("lang") for n in range(options.count())}
        assert names == {
            "English": "en",
            "Français": "fr",
            "Deutsch": "de",
            "Italiano": "it",
            "Русский": "ru",
            "Español": "es",
        }
        page.get_by_role("option", name="Français").click()
        watched.settle()
        page.wait_for_selector('h1:has-text("Poser une question")', timeout=30_000)
        assert page.evaluate("document.documentElement.lang") == "fr" and "lang=fr" in page.url
        assert picker.get_by_role("combobox").get_attribute("lang") == "fr"  # the shown "Français" too

        # A link to the app's root in French opens it in French in a new browser session, whatever its
        # browser says: the move to the first page keeps ?lang, the menu and the tab's title are French,
        # and the language stays across a page change.
        fr = translator("fr")
        other = phone(browser, locale="ru-RU")
        landed = other.open(f"{base}/?lang=fr")
        landed.wait_for_selector(f'h1:has-text("{fr.gettext("Ask a question")}")', timeout=30_000)
        assert "/ask?" in landed.url and "lang=fr" in landed.url
        assert landed.title() == f"{fr.gettext('Ask a question')} · {fr.gettext('Conference engagement')}"
        open_sidebar_and_go(other, "account")
        landed.wait_for_selector(f'h1:has-text("{fr.gettext("Account")}")', timeout=30_000)
        assert "lang=fr" in landed.url and landed.evaluate("document.documentElement.lang") == "fr"
        assert nav_labels(landed) == [fr.gettext("Ask a question"), fr.gettext("Account")]
        assert landed.get_by_text(fr.gettext("Participate"), exact=True).count() == 1  # the menu's section
        assert landed.title().startswith(fr.gettext("Account"))
        for each in (watched, other):
            assert each.count("stException") == 0
            each.close()
