# SQLModel column expressions: mypy types model attributes as their Python values (str, dict), so
# every select() of them looks wrong to it.
# mypy: disable-error-code="call-overload"
"""Session titles and group labels in the participant's language, as the event files give them.

``agenda.csv`` may carry a ``title_<lang>`` column per language (``title_fr``, ``title_ru``) and
``stakeholder_groups.csv`` a ``label_<lang>`` column; ``ingest config`` and ``agenda-import``
store them beside the default (``agenda_session.titles``, ``stakeholder_group.labels``). A language
with no translation reads the default title or label; ``fr-CH`` reads ``fr`` when there is no
``fr-ch``. Language codes are kept lower-case with ``-`` (``pt-br``), whatever the column wrote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from babel import Locale, UnknownLocaleError
from sqlalchemy import select
from sqlmodel import Session

from engagement.storage.models import AgendaSession, StakeholderGroup

# title_fr, label_ru, title_pt_BR, title_zh-Hant
CODE = re.compile(r"^[a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]{2,8})*$")


class Titled(Protocol):
    title: str
    titles: dict[str, str]


class Labelled(Protocol):
    label: str
    labels: dict[str, str]


def language_key(code: str) -> str | None:
    """``code`` as translations are kept (``pt_BR`` → ``pt-br``), or None when it names no language
    (Babel's CLDR data decides: ``note`` and ``old`` are not languages)."""
    text = code.strip()
    if not CODE.match(text):
        return None
    try:
        Locale.parse(text.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError):
        return None
    return text.lower().replace("_", "-")


def in_language(default: str, translations: Mapping[str, str] | None, lang: str | None) -> str:
    """The text in ``lang`` (its exact code, then its language alone), else ``default``."""
    if not lang or not translations:
        return default
    code = lang.strip().lower().replace("_", "-")
    return translations.get(code) or translations.get(code.split("-")[0]) or default


def title_in(session: Titled, lang: str | None) -> str:
    """An agenda session's title in ``lang`` (an ``AgendaSession``, or an ``event.AgendaRow``)."""
    return in_language(session.title, session.titles, lang)


def label_in(group: Labelled, lang: str | None) -> str:
    """A stakeholder group's label in ``lang`` (a ``StakeholderGroup``, or an ``event.GroupRow``)."""
    return in_language(group.label, group.labels, lang)


def titles_in(session: Session, lang: str | None) -> dict[int, str]:
    """Every agenda session's title in ``lang``, by session id (for a picker or a projector)."""
    rows = session.execute(select(AgendaSession.id, AgendaSession.title, AgendaSession.titles)).all()
    return {int(id_): in_language(title, titles, lang) for id_, title, titles in rows}


def labels_in(session: Session, lang: str | None) -> dict[str, str]:
    """Every stakeholder group's label in ``lang``, by key, in the taxonomy's order."""
    rows = session.execute(
        select(StakeholderGroup.key, StakeholderGroup.label, StakeholderGroup.labels).order_by(
            StakeholderGroup.display_order
        )
    ).all()
    return {key: in_language(label, labels, lang) for key, label, labels in rows}
