"""The six languages: every string the participant modules mark is translated in every catalog (and no
catalog keeps one the code dropped); the staff pages' catalog is complete in English and, in the other
languages, as far as it goes, never stale or broken; the menu's names are in a catalog; the language is
resolved in its order, and numbers, dates and plurals follow the chosen language."""

from __future__ import annotations

import ast
import shutil
from datetime import UTC, date, datetime

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from engagement import i18n
from engagement.i18n import LANGUAGES, STAFF, Message, resolve, supported, translator
from engagement.qa.asking import PARTICIPANT_STATES, QuestionRefused, clean
from engagement.qa.limits import ASKED_TOO_OFTEN, RateLimited
from engagement.ui.menu import PAGES

from .helpers import ROOT
from .helpers.pages import page

CONFIG = i18n.HERE / "babel.cfg"
STAFF_CONFIG = i18n.HERE / "staff.cfg"
# The staff pages whose words are marked.
STAFF_PAGES = [
    "views/agenda.py",
    "views/live.py",
    "views/queue.py",
    "views/engagement.py",
    "views/sessions.py",
    "views/groups.py",
    "views/conversations.py",
    "views/directory.py",
    "views/ingest.py",
    "views/summary.py",
]


def participant_modules(config=CONFIG) -> list[str]:
    with config.open() as mapping:
        method_map, _ = parse_mapping_cfg(mapping, str(config))
    for pattern, _ in method_map:
        assert list(ROOT.glob(pattern)), f"{config.name}: {pattern} names no file"
    return sorted({str(p.relative_to(ROOT)) for pattern, _ in method_map for p in ROOT.glob(pattern)})


def extracted(config=CONFIG) -> dict[str, str | None]:
    """A fresh extraction, as `make i18n-extract` makes it: each message id with its plural id (or None)."""
    keywords = {**DEFAULT_KEYWORDS, **i18n.KEYWORDS}
    messages: dict[str, str | None] = {}
    for name in participant_modules(config):
        for _, message, _, _ in extract_from_file("python", str(ROOT / name), keywords=keywords):
            if isinstance(message, tuple):
                messages[message[0]] = message[1]
            else:
                messages[message] = None
    return messages


def catalog(path):
    with path.open("rb") as source:
        return read_po(source)


@pytest.fixture(scope="module")
def fresh():
    return extracted()


@pytest.fixture(scope="module")
def fresh_staff():
    return extracted(STAFF_CONFIG)


def test_babel_cfg_names_every_module_with_participant_text():
    named = participant_modules()
    # The pages a participant opens, the public wall and projector, their shared helpers, the core's refusals.
    for module in ("dashboard.py", "views/ask.py", "views/account.py", "views/screen.py", "views/wall.py"):
        assert module in named
    for module in ("engagement/ui/qa.py", "engagement/ui/auth.py", "engagement/ui/hall.py"):
        assert module in named
    assert {"engagement/qa/asking.py", "engagement/qa/limits.py", "engagement/wall/moderation.py"} <= set(named)
    staff = participant_modules(STAFF_CONFIG)
    assert set(STAFF_PAGES) <= set(staff) and not set(staff) & set(named)


def test_the_template_is_a_fresh_extraction(fresh):
    template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog(i18n.HERE / "messages.pot") if m.id}
    assert len(fresh) > 50  # the extraction finds the pages' strings
    assert sorted(set(fresh) - template) == [], "run `make i18n-update` (new strings in the code)"
    assert sorted(template - set(fresh)) == [], "run `make i18n-update` (strings the code no longer has)"


def test_the_staff_template_is_a_fresh_extraction(fresh_staff):
    template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog(i18n.HERE / "staff.pot") if m.id}
    assert len(fresh_staff) > 150
    assert sorted(set(fresh_staff) - template) == [], "run `make i18n-update` (new strings in the code)"
    assert sorted(template - set(fresh_staff)) == [], "run `make i18n-update` (strings the code no longer has)"


def check_catalog(code: str, domain: str, fresh: dict[str, str | None], complete: bool) -> tuple[int, int]:
    """The catalog of ``code`` in ``domain`` against the code's strings; (translated, all) entries."""
    po = catalog(i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{domain}.po")
    entries = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in po if m.id}
    assert sorted(set(fresh) - set(entries)) == [], f"run `make i18n-update`, then translate into {code}"
    assert sorted(set(entries) - set(fresh)) == [], f"the {code} catalog keeps strings no code uses"
    translated = 0
    for key, entry in entries.items():
        assert not entry.fuzzy, f"{code}: {key!r} is marked fuzzy"
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not complete and not any(form.strip() for form in forms):
            continue  # not translated yet: the page shows the English
        # A plural half translated would show an empty text for some counts (compiled catalogs keep it).
        assert all(form.strip() for form in forms), f"{code}: {key!r} has no translation"
        translated += 1
        if fresh[key] is not None:
            assert isinstance(entry.id, tuple) and entry.id[1] == fresh[key], f"{code}: {key!r} lost its plural"
            # As many forms as gettext's rule for the language has (ru: one, few, many; de: one, other).
            assert len(forms) == po.num_plurals == get_plural(code).num_plurals, f"{code}: {key!r}"
        for form in forms:
            assert i18n.placeholders(form) == i18n.placeholders(key), f"{code}: {key!r} changes its {{names}}"
    return translated, len(entries)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_catalog_translates_every_string_the_code_marks_and_no_other(fresh, code):
    translated, total = check_catalog(code, i18n.DOMAIN, fresh, complete=True)
    assert translated == total


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_staff_catalogs_are_current_and_english_complete(fresh_staff, code):
    translated, total = check_catalog(code, STAFF, fresh_staff, complete=code == "en")
    # How far each language has got is in docs/accessibility.md#languages (these figures).
    assert translated >= STAFF_TRANSLATED[code] * total // 100, f"{code}: {translated} of {total}"


# The least share (per cent) of the staff catalog each language translates: docs/accessibility.md says so.
STAFF_TRANSLATED = {"en": 100, "fr": 100, "de": 100, "it": 100, "ru": 100, "es": 100}


def test_every_name_in_the_menu_is_in_a_catalog(fresh, fresh_staff):
    names = {p.title for p in PAGES} | {p.section for p in PAGES}
    assert sorted(names - set(fresh) - set(fresh_staff)) == []
    # A participant's menu from their own catalog: it must be complete in all six languages.
    participant = {p.title for p in PAGES if p.minimum == "participant"} | {"Participate"}
    assert participant <= set(fresh)


def test_a_staff_page_finds_a_word_of_the_participants_catalog():
    staff = translator("fr", STAFF)
    assert staff.gettext("Q&A queue") != "Q&A queue"  # its own catalog
    assert staff.gettext("Ask a question") == translator("fr").gettext("Ask a question") != "Ask a question"
    assert staff.gettext("no such words") == "no such words"
    with pytest.raises(ValueError, match="unknown catalog"):
        translator("fr", "nonsense")


# The participant pages' widgets and messages take their words from the catalog: a literal with words in
# it, given straight to Streamlit, would stay English in every language.
SHOWN = {"label", "placeholder", "help", "body"}


@pytest.mark.parametrize(
    "name",
    [
        "views/ask.py",
        "views/screen.py",
        "dashboard.py",
        *STAFF_PAGES,
        "engagement/ui/widgets.py",
        "engagement/ui/moderation.py",
    ],
)
def test_the_pages_give_streamlit_no_untranslated_words(name):
    tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
    bare = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr in (
            "gettext",
            "ngettext",
            "html",
            "get",
            "pop",
            "format",
            "join",
            "form",
            "container",
            "startswith",
        ):
            continue  # the translation itself, our stylesheet, dictionaries, string building, keys
        candidates = node.args[:1] + [k.value for k in node.keywords if k.arg in SHOWN]
        for value in candidates:
            parts = value.values if isinstance(value, ast.JoinedStr) else [value]
            for part in parts:
                words = isinstance(part, ast.Constant) and isinstance(part.value, str)
                # Words: a space or a capital ("Save", "Posts on"); a path, key or column name
                # ("views/wall.py", "posts", "utf-8") is neither.
                if (
                    words
                    and sum(c.isalpha() for c in part.value) >= 2
                    and (" " in part.value.strip() or part.value[:1].isupper())
                ):
                    bare.append(f"{name}:{node.lineno} {part.value!r}")
    assert bare == []


def test_the_language_is_the_query_then_the_choice_then_the_browser_then_the_event():
    assert resolve(query="ru", chosen="fr", browser="de-DE", event_languages=["it"]) == "ru"
    assert resolve(query=None, chosen="fr", browser="de-DE", event_languages=["it"]) == "fr"
    assert resolve(query="xx", chosen=None, browser="de-AT", event_languages=["it"]) == "de"
    assert resolve(query=None, chosen=None, browser="ja-JP", event_languages=["it", "en"]) == "it"
    assert resolve(query=None, chosen=None, browser=None, event_languages=["uk", "ru"]) == "en"
    assert resolve(query=None, chosen=None, browser=None) == "en"


@pytest.mark.parametrize(
    ("tag", "code"), [("ru-RU", "ru"), ("fr_CH", "fr"), ("DE", "de"), (" es-419 ", "es"), ("uk", None), ("", None)]
)
def test_a_browser_tag_names_a_supported_language_or_none(tag, code):
    assert supported(tag) == code


def test_the_picker_names_each_language_in_itself():
    assert list(i18n.ENDONYMS) == list(LANGUAGES)
    assert i18n.ENDONYMS["ru"] == "Русский" and i18n.ENDONYMS["fr"] == "Français" and i18n.ENDONYMS["de"] == "Deutsch"


def test_numbers_and_dates_follow_the_language():
    # Grouping: a comma in English, a dot in German, Italian and Spanish, a (narrow) no-break space in
    # French and Russian; month names in the language.
    assert translator("en").number(12345) == "12,345"
    assert translator("de").number(12345) == translator("it").number(12345) == "12.345"
    assert translator("ru").number(12345).replace("\u00a0", " ").replace("\u202f", " ") == "12 345"
    day = date(2018, 4, 23)
    assert "avr." in translator("fr").date(day) and "апр." in translator("ru").date(day)
    assert "Apr" in translator("en").date(day) and "abr" in translator("es").date(day)
    at = datetime(2018, 4, 23, 9, 5, tzinfo=UTC)
    assert translator("de").time(at, "Europe/Vienna") == "11:05"
    assert translator("en").time(at, "Europe/Vienna").replace("\u202f", " ") == "11:05 AM"


def test_russian_counts_take_their_three_forms():
    t = translator("ru")
    said = [t.text(Message(*ASKED_TOO_OFTEN, n=n)) for n in (1, 3, 5, 21)]
    assert [s.split(" вопрос")[1][:1] for s in said] == [".", "а", "о", "."]
    assert [t.ngettext("{n} vote", "{n} votes", n).format(n=n) for n in (1, 2, 11)] == [
        "1 голос",
        "2 голоса",
        "11 голосов",
    ]


def test_a_refusal_is_english_in_the_core_and_translated_on_the_page():
    with pytest.raises(QuestionRefused) as refused:
        clean("x" * 1234, 500, "question")
    assert str(refused.value) == "The question has 1,234 characters; at most 500 are accepted."
    french = i18n.explain(refused.value, translator("fr"))
    assert french != str(refused.value) and "1\u202f234" in french.replace("\u00a0", "\u202f") and "500" in french
    limited = RateLimited(Message(*ASKED_TOO_OFTEN, n=3))
    assert str(limited).startswith("You have asked 3 questions")
    assert i18n.explain(limited, translator("de")).startswith("Sie haben in der letzten Minute 3 Fragen")
    assert i18n.explain(ValueError("plain"), translator("de")) == "plain"


def test_the_states_a_participant_sees_are_translated():
    for code in LANGUAGES[1:]:
        t = translator(code)
        assert all(t.gettext(state) != state for state in set(PARTICIPANT_STATES.values())), code


def test_a_checkout_without_compiled_catalogs_reads_the_po_files(tmp_path, monkeypatch):
    shutil.copytree(i18n.LOCALE_DIR, tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    po = catalog(tmp_path / "locale" / "ru" / "LC_MESSAGES" / "messages.po")
    assert translator("ru").gettext("Send question") == po.get("Send question").string
    assert not list((tmp_path / "locale").rglob("*.mo"))


def test_the_ask_page_in_french_by_the_query(qa_url, monkeypatch):
    at = page(qa_url, monkeypatch, "views/ask.py", lang="fr")
    t = translator("fr")
    assert [title.value for title in at.title] == [t.gettext("Ask a question")]
    assert at.session_state["lang-chosen"] == "fr" and at.query_params["lang"] == "fr"
    assert at.selectbox(key="lang-picker").value == "fr"
    send = f"FormSubmitter:ask-form-{t.gettext('Send question')}"
    for n in range(4):
        at.text_area(key="ask-text").input(f"Question numéro {n} ?")
        at.button(key=send).click().run()
    assert at.error[0].value == t.text(Message(*ASKED_TOO_OFTEN, n=3))
    # The participant picks German: the page follows, and the URL carries the choice.
    at.selectbox(key="lang-picker").set_value("de").run()
    assert [title.value for title in at.title] == [translator("de").gettext("Ask a question")]
    assert at.query_params["lang"] == "de" and at.session_state["lang-chosen"] == "de"


def _link_page():
    import streamlit as st

    from engagement.ui import qa

    qa.language()
    st.text(qa.link("/screen", session="d1-panel-1"))


@pytest.mark.parametrize(
    ("query", "link"), [("it", "/screen?session=d1-panel-1&lang=it"), (None, "/screen?session=d1-panel-1")]
)
def test_the_links_the_app_makes_carry_the_chosen_language(query, link):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_link_page, default_timeout=60)
    if query:
        at.query_params["lang"] = query
    at.run()
    assert not at.exception and at.text[0].value == link


def test_a_staff_page_in_german_by_the_query(qa_url, monkeypatch):
    at = page(qa_url, monkeypatch, "views/queue.py", role="moderator", lang="de")
    t = translator("de", STAFF)
    assert [title.value for title in at.title] == [t.gettext("Q&A queue")] == ["Fragen-Warteschlange"]
    assert at.query_params["lang"] == "de"
    # The event line's dates in German's form, the empty queue's notice and the tabs' names from the
    # staff catalog.
    assert at.caption[0].value.endswith("· 23.04.2018 – 24.04.2018 · Zeiten in Europe/Vienna")
    assert t.gettext("No incoming questions in this session.") in [i.value for i in at.info]
    assert at.segmented_control(key="queue-tab").options[0] == t.gettext("Incoming") == "Eingang"


@pytest.fixture(scope="module")
def french_report(demo_db):
    from engagement import report
    from engagement.rules.event import load_event
    from engagement.storage import db

    with db.reading(demo_db) as session:
        return report.build(session, load_event(), language="fr")


def test_the_report_is_written_in_the_language_the_organiser_picks(french_report, tmp_path):
    import openpyxl

    from engagement import report
    from engagement.report import workbook
    from engagement.report.content import NOTES

    t = translator("fr", STAFF)
    assert french_report.language == "fr"
    # Findings, notes, caveats, the headline's names and values: French sentences of the catalog.
    assert len(french_report.findings) >= 5
    assert (
        french_report.findings[0].text.endswith(" répondues.") and " publications de " in french_report.findings[0].text
    )
    assert french_report.notes["By session"] == t.gettext(NOTES["By session"]) != NOTES["By session"]
    assert t.gettext("Participants' names and affiliations are left out of this report.") in french_report.caveats
    assert french_report.headline_names["collected posts"] == "publications collectées"
    assert french_report.collected_as.startswith("Sur ") and "\u202f" in french_report.collected_as  # 1 234
    page = report.render(french_report)
    assert '<html lang="fr">' in page and '<h2 class="keep">Constats</h2>' in page
    for english in ("Findings", "Headline figures", "Contents", "Caveats", "Participation by session", "Methods"):
        assert f">{english}<" not in page, english
    # The workbook's sheets and headers in French; the CSV files keep their stable English names.
    path = workbook.write_xlsx(french_report, tmp_path / "rapport.xlsx")
    sheets = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert {"Par séance", "Méthodes", "Constats", "Réserves"} <= set(sheets) and "By session" not in sheets
    assert "by-session.csv" in {p.name for p in workbook.write_csvs(french_report, tmp_path / "csv")}


@pytest.mark.parametrize("config", [CONFIG, STAFF_CONFIG], ids=["participant", "staff"])
def test_no_marked_string_hides_in_an_f_string(config):
    # pybabel on Python 3.11 reads an f-string as one token: a _("…") inside one is never extracted, so
    # its words would stay English in every language while every catalog test passed.
    hidden = []
    for name in participant_modules(config):
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            for call in ast.walk(node):
                if not isinstance(call, ast.Call):
                    continue
                marks = getattr(call.func, "id", getattr(call.func, "attr", "")) in ("_", "gettext", "ngettext", "N_")
                # A variable's text is marked where it is written; a literal here is not marked at all.
                if marks and call.args and isinstance(call.args[0], ast.Constant):
                    hidden.append(f"{name}:{call.lineno} {call.args[0].value!r}")
    assert hidden == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_two_column_labels_read_alike_in_a_language(code):
    # A table whose two columns took one label would have two columns of one name: a spreadsheet
    # export of it fails, and a reader cannot tell them apart.
    from engagement.analysis.display import LABELS

    t = translator(code, STAFF)
    said: dict[str, set[str]] = {}
    for english in set(LABELS.values()):
        said.setdefault(t.gettext(english), set()).add(english)
    assert {label: english for label, english in said.items() if len(english) > 1} == {}


# Where the library draws words itself: every title, axis title and legend name a figure gets.
DRAWN = {"title", "xaxis_title", "yaxis_title", "name", "text"}


@pytest.mark.parametrize("name", ["engagement/analysis/charts.py", "engagement/report/figures.py"])
def test_the_charts_draw_no_unmarked_words(name):
    tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
    bare = []
    for node in ast.walk(tree):
        pairs = []
        if isinstance(node, ast.Call):
            pairs = [(k.arg, k.value) for k in node.keywords]
        elif isinstance(node, ast.Dict):
            pairs = [
                (k.value if isinstance(k, ast.Constant) else None, v)
                for k, v in zip(node.keys, node.values, strict=True)
            ]
        for key, value in pairs:
            words = isinstance(value, ast.Constant) and isinstance(value.value, str)
            if key in DRAWN and words and sum(c.isalpha() for c in value.value) >= 2:
                bare.append(f"{name}:{value.lineno} {value.value!r}")
    assert bare == []


def test_a_participant_following_a_staff_link_is_asked_to_sign_in_in_their_language(qa_url, monkeypatch):
    # /live?lang=ru for someone not signed in: the page's own sign-in in Russian (the dashboard keeps
    # every page at its address, hidden from the menu), not Streamlit's English "Page not found".
    at = page(qa_url, monkeypatch, "views/live.py", lang="ru")
    t = translator("ru")
    assert [title.value for title in at.title] == [t.gettext("Sign in")] != ["Sign in"]
    assert t.gettext("This page is for moderators and organisers.") in [m.value for m in at.markdown]
    assert not at.dataframe and not at.metric  # nothing of the page itself
