"""What the staff pages share for their words: the staff catalog's ``Translator`` and the page header.

The staff pages (Moderate, Analyse, Report, Admin) take their words from the ``staff`` catalog
(``engagement/i18n/staff.cfg``): complete in English, the other five languages as far as they have got
(docs/accessibility.md#languages). The language is the participant pages' (``qa.language``: ``?lang=``,
the choice, the browser, the event), so a ``?lang=fr`` link stays French across every page.
Only our constant words are translated: posts, questions, names and bios stay verbatim in ``st.text``
or a table, whatever the language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from engagement import i18n, settings
from engagement.i18n import N_, Translator
from engagement.rules.event import EventConfig
from engagement.ui import qa, widgets

# The staff menu's sections and page titles (engagement/ui/menu.py), marked here so that the staff
# catalog holds them; tests/test_i18n.py checks that every title of the menu is in a catalog.
STAFF_MENU = (
    N_("Moderate"),
    N_("Live"),
    N_("Q&A queue"),
    N_("On screen"),
    N_("Analyse"),
    N_("Engagement"),
    N_("Sessions"),
    N_("Stakeholder groups"),
    N_("Conversations"),
    N_("Report"),
    N_("Post-event summary"),
    N_("Admin"),
    N_("Agenda and groups"),
    N_("Directory and classification"),
    N_("Ingest status"),
)


def translator() -> Translator:
    """The staff catalog in the page's language (``qa.language``), falling back to the participant's."""
    return i18n.translator(qa.language(), i18n.STAFF)


def notices(t: Translator, items: Iterable[str | None] = ()) -> None:
    """The page's one notice area (``widgets.notices``), its demo-data note in ``t``'s language.

    The note's words are the participant catalog's (the Ask page says the same), which a staff
    ``Translator`` falls back to."""
    demo = widgets.is_demo_database(settings.database_url())
    shown = [item for item in items if not (demo and item and item.startswith("Demo data"))]
    widgets.notices([t.gettext(widgets.DEMO_NOTICE) if demo else None, *shown], demo=False)


def header(title: str, event: EventConfig, t: Translator, notes: Sequence[str] | None = ()) -> None:
    """The page's title and its event line (dates in ``t``'s language), then the notice area;
    ``notes=None``: the page draws its notice area itself (``notices``), once it knows what to say."""
    caption = t.gettext("{event} · {start} – {end} · times in {zone}").format(
        event=event.name,
        start=t.date(event.start_date),
        end=t.date(event.end_date),
        zone=event.time_zone,
    )
    qa.document_language(t.code)
    widgets.page_header(title, event, caption=caption, notes=None)
    if notes is not None:
        notices(t, notes)
