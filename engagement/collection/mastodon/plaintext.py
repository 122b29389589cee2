"""Mastodon's HTML (a status's ``content``, an account's ``note``) as the plain text a reader sees,
and the links it carries. No database here.

Read with the standard library's ``html.parser``, a real tokenizer that never fails on malformed
markup (unclosed, misnested or stray tags; entities with or without ';'), so no dependency is
added for it. What comes out follows Mastodon's own rendering:

- ``<span class="invisible">`` (the ``https://`` and the tail of a long link) is dropped, and a
  ``<span class="ellipsis">`` is followed by "…", as the web app shows them;
- ``class="quote-inline"`` (the "RE: <link>" fallback a quote carries for older servers) is dropped;
- ``<br>`` is a newline; paragraphs (and other blocks) are separated by a blank line, as they are
  displayed (Mastodon's ``PlainTextFormatter`` writes a single newline there; a blank line keeps
  paragraphs apart for readers and exports);
- entities are decoded; what Mastodon's sanitiser removes whole (``script``, ``style``, ``iframe``,
  ``svg``, ``math``, ``noscript``, …) is dropped with its content; no markup is left, and control
  characters (NUL among them, which PostgreSQL refuses in text) are taken out.

Links: the ``href`` of every ``<a>`` that is shown, http(s) only (a ``javascript:`` link keeps its
text, never its target), with whether Mastodon marked it a mention or a hashtag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

__all__ = ["Link", "Rendered", "plain", "render", "to_text"]

# Removed with everything inside, as Mastodon's sanitiser and PlainTextFormatter do (plus the
# elements whose content is never shown as text).
DROPPED = frozenset(
    {"script", "style", "iframe", "math", "noembed", "noframes", "noscript", "plaintext", "svg", "xmp"}
    | {"template", "object", "head", "title", "textarea", "select"}
)
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source"} | {"track", "wbr"}
)
BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"}
    | {"article", "header", "footer", "figure", "dl"}
)
LINES = frozenset({"li", "tr", "dt", "dd"})
HIDDEN_CLASSES = frozenset({"invisible", "quote-inline"})
# C0 and C1 controls but tab, newline and carriage return: invisible, and NUL breaks PostgreSQL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_DEPTH = 512  # deeper nesting than any real post: the rest is read flat, not held open


@dataclass
class Link:
    href: str
    mention: bool  # class "mention" (a hashtag link is a "mention hashtag" too)
    hashtag: bool
    text: str = ""  # what it shows: "#tag" or "@user" where a server marks no class (Misskey)

    @property
    def tagged(self) -> bool:
        """A link to a hashtag or an account, not to the web."""
        return self.mention or self.hashtag or self.text.startswith(("#", "@", "＃"))


@dataclass
class Rendered:
    text: str
    links: list[Link] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # Text pieces, and breaks as ints (1: a line, 2: a blank line), resolved in ``text``.
        self.pieces: list[str | int] = []
        self.links: list[Link] = []
        self.open: list[tuple[str, bool, bool]] = []  # (tag, hides, ellipsis)
        self.hidden = 0  # open elements that hide what they hold
        self.anchors: list[tuple[Link, int]] = []  # open links shown, where their text starts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            if not self.hidden:
                self.pieces.append("\n")
            return
        if tag in VOID:
            return
        values: dict[str, str] = {}
        for name, value in attrs:  # HTML's tokenizer keeps an element's first attribute of a name
            values.setdefault(name, value or "")
        classes = set(values.get("class", "").split())
        if not self.hidden:
            if tag in BLOCKS:
                self.pieces.append(2)
            elif tag in LINES:
                self.pieces.append(1)
        hides = tag in DROPPED or bool(classes & HIDDEN_CLASSES)
        if tag == "a" and not self.hidden and not hides:
            href = values.get("href", "").strip()
            if _is_web(href):
                link = Link(href, "mention" in classes, "hashtag" in classes)
                self.links.append(link)
                self.anchors.append((link, len(self.pieces)))
        if len(self.open) >= MAX_DEPTH:
            return
        self.open.append((tag, hides, "ellipsis" in classes))
        self.hidden += hides

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not any(name == tag for name, _, _ in self.open):
            return  # a stray end tag closes nothing
        while self.open:
            name, hides, ellipsis = self.open.pop()
            self.hidden -= hides
            if ellipsis and not self.hidden:
                self.pieces.append("…")
            if name in BLOCKS and not self.hidden:
                self.pieces.append(2)
            if name == "a" and self.anchors:
                link, start = self.anchors.pop()
                link.text = "".join(p for p in self.pieces[start:] if isinstance(p, str)).strip()
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        if not self.hidden and data:
            self.pieces.append(data)

    def text(self) -> str:
        out: list[str] = []
        pending = 0  # the break before the next text: the largest asked for since the last
        for piece in self.pieces:
            if isinstance(piece, int):
                pending = max(pending, piece)
                continue
            piece = CONTROL.sub("", piece)
            if not piece or ((pending or not out) and piece.isspace()):
                continue  # the source's line breaks between blocks are no text
            if pending and out:
                out.append("\n" * max(0, pending - _newlines_at_end(out)))
            pending = 0
            out.append(piece)
        return "".join(out).strip()


def _newlines_at_end(pieces: list[str]) -> int:
    """How many newlines the text written so far ends with ("a<br></p><p>b": one is there already)."""
    found = 0
    for piece in reversed(pieces):
        stripped = piece.rstrip("\n")
        found += len(piece) - len(stripped)
        if stripped:
            break
    return found


def _is_web(href: str) -> bool:
    try:
        return urlsplit(href).scheme.lower() in ("http", "https") and len(href) <= 4096
    except ValueError:  # an unreadable URL (a bad IPv6 literal, …) is no link
        return False


def plain(text: str) -> str:
    """Text the API gives as plain text (a display name, a content warning): only controls taken
    out. Never parsed as HTML: "<3" and "<b>" there are what the person wrote."""
    return CONTROL.sub("", text).strip()


def render(html: str) -> Rendered:
    """``html`` as plain text, with its links (new objects each time: a caller may change them)."""
    text, links = _rendered(html)
    return Rendered(text, [Link(*link) for link in links])


def _rendered(html: str) -> tuple[str, tuple[tuple[str, bool, bool, str], ...]]:
    # Remembered: a status read on two instances, and an account's note, come again and again (the
    # demo's 10,000 posts: 4,499 pieces of HTML, 2,073 distinct; parsing was a third of the import's
    # reading side). Only short pieces, so that what is remembered stays a few MB whatever comes.
    return _remembered(html) if len(html) <= REMEMBERED_CHARACTERS else _parsed(html)


REMEMBERED_CHARACTERS = 8192


# Mastodon writes its HTML in a narrow, regular form: plain tags with quoted attributes, entities in
# text. Such a piece is tokenized here with one regular expression, the tokens handed to the same
# ``_Reader`` methods ``html.parser`` would call, in the same order with the same arguments; anything
# else (a comment, an unquoted or valueless attribute, a "<" that opens no tag, an element whose
# content the parser reads raw) goes through ``html.parser`` itself. On the demo's 50,000 posts the
# parser took 2.2 s of the reading process's 9.2 s of CPU; checked against it on every piece of
# HTML of the demo and of tests/data (tests/test_mastodon_normalise.py).
_SPACE = r"[ \t\n\r\f]"  # HTML's white space (a regular expression's \s also takes NBSP, which HTML does not)
_NAME = r"[a-zA-Z_:][-a-zA-Z0-9_:.]*"
_QUOTED = r"(?:\"[^\"<>]*\"|'[^'<>]*')"
_ATTRIBUTE = re.compile(rf"{_SPACE}+({_NAME}){_SPACE}*={_SPACE}*(?:\"([^\"<>]*)\"|'([^'<>]*)')")
_TAG = re.compile(rf"<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:{_SPACE}+{_NAME}{_SPACE}*={_SPACE}*{_QUOTED})*){_SPACE}*(/?)>")
_RAW_CONTENT = frozenset({"script", "style"})  # html.parser reads their content as raw text


def _tokenized(html: str) -> _Reader | None:
    """A reader fed the tokens of ``html`` as ``html.parser`` would feed it; None when ``html`` is not
    of the regular form read here (then what was fed so far is thrown away)."""
    reader = _Reader()
    data_at = reader.handle_data
    start_tag, end_tag = reader.handle_starttag, reader.handle_endtag
    position = 0
    for match in _TAG.finditer(html):
        start = match.start()
        if start > position:
            data = html[position:start]
            if "<" in data:
                return None
            data_at(unescape(data))
        closing, tag, attributes, self_closing = match.groups()
        tag = tag.lower()
        if tag in _RAW_CONTENT:
            return None
        if closing:
            if attributes or self_closing:
                return None
            end_tag(tag)
        else:
            attrs: list[tuple[str, str | None]] = [
                (name.lower(), unescape(value) if (value := double or single) else value)
                for name, double, single in _ATTRIBUTE.findall(attributes)
            ]
            start_tag(tag, attrs)
            if self_closing:
                end_tag(tag)
        position = match.end()
    if position < len(html):
        data = html[position:]
        if "<" in data:
            return None
        data_at(unescape(data))
    return reader


def _parsed(html: str) -> tuple[str, tuple[tuple[str, bool, bool, str], ...]]:
    if "<" not in html and "&" not in html:
        return plain(html), ()  # no markup at all (some servers' notes)
    reader = _tokenized(html)
    if reader is None:
        reader = _Reader()
        reader.feed(html)
        reader.close()
    return reader.text(), tuple((link.href, link.mention, link.hashtag, link.text) for link in reader.links)


def _parsed_by_html_parser(html: str) -> tuple[str, tuple[tuple[str, bool, bool, str], ...]]:
    """``_parsed`` always through ``html.parser`` (what the fast path is checked against)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.text(), tuple((link.href, link.mention, link.hashtag, link.text) for link in reader.links)


_remembered = lru_cache(maxsize=2048)(_parsed)


def to_text(html: str) -> str:
    """``html`` as plain text."""
    return _rendered(html)[0]
