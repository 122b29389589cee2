"""The one way markup reaches a page: a constant template written in the source, with every value
put in by ``html`` (escaped as text, so a post, a question, a name or a bio is shown verbatim) or
by ``script`` (as JSON, with ``<`` escaped so no value can close the script element).

Templates use ``%(name)s`` placeholders: CSS and JavaScript are full of braces, rarely of ``%``.
tests/reliability/test_hostile.py checks that every ``st.html`` takes a constant, or one of these
with a constant template.
"""

from __future__ import annotations

import html as _html
import json


def html(template: str, **values: object) -> str:
    """``template`` with each value escaped as HTML text (quotes too: safe in attributes)."""
    return template % {name: _html.escape(str(value), quote=True) for name, value in values.items()}


def script(template: str, **values: object) -> str:
    """``template`` (JavaScript) with each value as a JSON literal that cannot end the script."""
    return template % {
        name: json.dumps(value, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e")
        for name, value in values.items()
    }
