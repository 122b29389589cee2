"""The participant's pages in the OSCE's six official languages: gettext catalogs managed with Babel.

``babel.cfg`` names the participant modules whose strings are extracted into ``messages.pot``; each
language's ``locale/<code>/LC_MESSAGES/messages.po`` translates them (``make i18n-extract``,
``make i18n-update``, ``make i18n-compile``; ``make install`` compiles the ``.mo`` files, which git
ignores). A missing or stale ``.mo`` is compiled from its ``.po`` in memory, so a checkout that has
not run ``make`` shows the same words.

Pages get a ``Translator`` (``translator(code)``): ``gettext`` / ``ngettext`` and the chosen locale's
numbers and dates (``babel.numbers``, ``babel.dates``). The library core stays free of Streamlit and
of any language: what it says to a participant is a ``Message`` (the English text, marked with
``N_`` for extraction, and its parameters), which the page puts in the participant's language.

The staff pages have a catalog of their own, the ``staff`` domain (``staff.cfg`` → ``staff.pot`` →
``locale/<code>/LC_MESSAGES/staff.po``): complete in English, translated as far as each language has
got (an empty entry shows the English), and never able to leave a participant's page half translated,
which the participant catalog's test forbids. A staff ``Translator`` falls back to the participant
catalog for a word both share.

Which language: ``resolve`` (``?lang=``, then the participant's own choice, then the browser's, then
the event's first language, else English). This package decides; ``engagement.ui.qa`` applies it.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
DOMAIN = "messages"
# The staff pages' words (staff.cfg): complete in English, the other languages as far as they have got.
STAFF = "staff"
DOMAINS = (DOMAIN, STAFF)
# What extraction looks for besides Babel's own keywords (_, gettext, ngettext, N_): Makefile, test_i18n.
KEYWORDS = {"N_plural": (1, 2)}
# The OSCE's official languages, in the order the picker lists them.
LANGUAGES = ("en", "fr", "de", "it", "ru", "es")
DEFAULT = "en"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name for "mark, translate later")
    """Mark ``message`` for extraction without translating it now (it is translated where it is shown)."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 (the same convention)
    """Mark an ``ngettext`` pair for extraction (``pybabel -k N_plural:1,2``); translated where it is shown."""
    return singular, plural


def endonym(code: str) -> str:
    """A language's name in itself, capitalised as a menu item ("Русский", "Français")."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


ENDONYMS = {code: endonym(code) for code in LANGUAGES}


def supported(tag: str | None) -> str | None:
    """The supported language a tag asks for ("ru-RU", "fr_CH", "DE" → "ru", "fr", "de"), or None."""
    if not tag or not isinstance(tag, str):
        return None
    code = tag.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def resolve(*, query: str | None, chosen: str | None, browser: str | None, event_languages: Iterable[str] = ()) -> str:
    """The page's language: ``?lang=``, the participant's choice, the browser's, the event's first, English.

    A value that names no supported language is passed over, as if absent."""
    for candidate in (query, chosen, browser):
        if code := supported(candidate):
            return code
    first = next(iter(event_languages), None)
    return supported(first) or DEFAULT


def _zone(zone: tzinfo | str | None) -> tzinfo | None:
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def _catalog_path(code: str, domain: str = DOMAIN) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{domain}.po"


def _stamps(code: str, domain: str) -> tuple[float, float]:
    po = _catalog_path(code, domain)
    mo = po.with_suffix(".mo")
    return po.stat().st_mtime if po.exists() else 0, mo.stat().st_mtime if mo.exists() else -1


def _load(code: str, domain: str, po_mtime: float, mo_mtime: float) -> gettext.NullTranslations:
    po, mo = _catalog_path(code, domain), _catalog_path(code, domain).with_suffix(".mo")
    if mo_mtime >= po_mtime > 0:
        with mo.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    if po_mtime == 0:
        return gettext.NullTranslations()
    # No compiled catalog, or one older than its .po: compile it here (what `make i18n-compile` does).
    with po.open("rb") as source:
        catalog = read_po(source, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@lru_cache(maxsize=len(LANGUAGES) * len(DOMAINS))
def _translations(code: str, domain: str, stamp: tuple[float, ...]) -> gettext.NullTranslations:
    found = _load(code, domain, *stamp[:2])
    if domain != DOMAIN:
        # A word the staff catalog lacks (or has not translated yet) is looked up in the participant's.
        # A fresh object, not the cached one: add_fallback chains onto whatever it is given.
        found.add_fallback(_load(code, DOMAIN, *stamp[2:]))
    return found


def _stamp(code: str, domain: str) -> tuple[float, ...]:
    return _stamps(code, domain) + (_stamps(code, DOMAIN) if domain != DOMAIN else ())


def translations(code: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    """The gettext translations of ``code`` in ``domain``, read again whenever its catalog changes."""
    return _translations(code, domain, _stamp(code, domain))


@dataclass(frozen=True)
class Message:
    """A sentence for a participant, kept in English until the page knows their language.

    ``plural`` and ``n`` make it an ``ngettext`` message; ``params`` fill its ``{placeholders}``
    (numbers in the reader's format)."""

    singular: str
    plural: str | None = None
    n: int | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    def english(self) -> str:
        return translator(DEFAULT).text(self)


class Translator:
    """One language's words, numbers and dates."""

    def __init__(self, code: str, domain: str = DOMAIN):
        self.code = supported(code) or DEFAULT
        self.domain = domain
        self.locale = Locale.parse(self.code)
        self._translations = translations(self.code, domain)

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def number(self, value: float) -> str:
        """1234 → "1,234" (en), "1 234" (fr, ru), "1.234" (de, it, es)."""
        return format_decimal(value, locale=self.locale)

    def date(self, value: date | datetime, format: str = "medium") -> str:
        return format_date(value, format=format, locale=self.locale)

    def time(self, value: datetime, zone: tzinfo | str | None = None, format: str = "short") -> str:
        """A time of day in this language's form ("14:05", "2:05 PM"), in ``zone`` (a name or a tzinfo)."""
        return format_time(value, format=format, tzinfo=_zone(zone), locale=self.locale)

    def datetime(self, value: datetime, zone: tzinfo | str | None = None, format: str = "short") -> str:
        return format_datetime(value, format=format, tzinfo=_zone(zone), locale=self.locale)

    def language_name(self, code: str) -> str:
        """``code``'s name in this language, capitalised as a menu item ("ar" → "Арабский" in Russian)."""
        try:
            name = Locale.parse(code).get_display_name(self.locale) or code
        except (ValueError, TypeError):
            return code
        return name[:1].upper() + name[1:]

    def text(self, message: Message | str) -> str:
        """A core ``Message`` (or a marked string) in this language, its numbers formatted here."""
        if isinstance(message, str):
            return self.gettext(message)
        if message.plural is not None and message.n is not None:
            pattern = self.ngettext(message.singular, message.plural, message.n)
        else:
            pattern = self.gettext(message.singular)
        values = {"n": message.n, **message.params}
        shown = {
            k: self.number(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
            for k, v in values.items()
        }
        return pattern.format(**shown)


@lru_cache(maxsize=len(LANGUAGES) * len(DOMAINS) * 4)
def _translator(code: str, domain: str, stamp: tuple[float, ...]) -> Translator:
    return Translator(code, domain)


def translator(code: str | None, domain: str = DOMAIN) -> Translator:
    """The ``Translator`` of ``code`` (an unsupported code gives English) in ``domain`` (the participant's
    catalog, or ``STAFF``), cached until its catalog changes."""
    chosen = supported(code) or DEFAULT
    if domain not in DOMAINS:
        raise ValueError(f"unknown catalog {domain!r}; one of {DOMAINS}")
    return _translator(chosen, domain, _stamp(chosen, domain))


def explain(error: BaseException, t: Translator) -> str:
    """What a refusal from the core says, in ``t``'s language (its ``message`` when it carries one)."""
    message = getattr(error, "message", None)
    return t.text(message) if isinstance(message, Message | str) else str(error)


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a message fills: a translation must keep the same ones."""
    return set(PLACEHOLDER.findall(text))
