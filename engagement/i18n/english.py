"""``python -m engagement.i18n.english``: fill the English catalogs' empty entries with the code's text.

English is the code's own language, so its catalogs need no translator: ``make i18n-update`` runs this
after merging, and a new string is complete in English at once (its wording is still reviewed like any
other language's, in the ``.po``). Entries that already say something are left as they are.
"""

from __future__ import annotations

from babel.messages.pofile import read_po, write_po

from engagement.i18n import DEFAULT, DOMAINS, LOCALE_DIR


def fill(domain: str) -> int:
    """Give each untranslated English entry of ``domain`` its msgid (both forms for a plural); how many."""
    path = LOCALE_DIR / DEFAULT / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=DEFAULT)
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        forms = tuple(message.string) if isinstance(message.string, tuple | list) else (message.string or "",)
        if all(form.strip() for form in forms):
            continue
        message.string = tuple(message.id) if isinstance(message.id, tuple) else message.id
        filled += 1
    if filled:
        with path.open("wb") as target:
            write_po(target, catalog, sort_output=True, no_location=True)
    return filled


if __name__ == "__main__":
    for domain in DOMAINS:
        print(f"{domain}: {fill(domain)} English entries filled from the code")
