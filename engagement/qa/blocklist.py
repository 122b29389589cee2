"""The organisers' multilingual blocklist (``data/qa_blocklist.csv``): a question that matches is held for
a moderator with a flag, never published automatically. Links are flagged too: a moderator should see
where a link goes before a room of delegates does.

Matching ignores case and accents and sees through simple disguises (``1d10t``, ``s.h.i.t`` is not
caught: a moderator still reads every question before it is published).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from engagement import settings

FILE_NAME = "qa_blocklist.csv"
LINK = re.compile(r"(https?://|www\.)\S+|\b[\w-]+\.(com|net|org|ru|info|ly|io)\b", re.IGNORECASE)
LOOKALIKES = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


@dataclass(frozen=True)
class Blocklist:
    # (normalised term, language, note), longest first so phrases win over their words
    terms: tuple[tuple[str, str, str], ...]
    pattern: re.Pattern | None

    def check(self, text: str, *, links: bool = True) -> str | None:
        """Why ``text`` should be held for a moderator, or None; ``links=False`` for the social wall's
        posts, where a link is no reason (most posts carry one) and the terms alone hold a post."""
        reasons = []
        if self.pattern is not None:
            folded = fold(text)
            found = {
                " ".join(match.group(1).split())
                for variant in (folded, folded.translate(LOOKALIKES))
                for match in self.pattern.finditer(variant)
            }
            by_term = {term: (language, note) for term, language, note in self.terms}
            for term in sorted(found):
                language, note = by_term[term]
                reasons.append(f"blocklist: {term!r} ({language}{', ' + note if note else ''})")
        if links and LINK.search(text):
            reasons.append("contains a link")
        return "; ".join(reasons) or None


def fold(text: str) -> str:
    """Lower case without accents: é → e, ß → ss (casefold), й → и."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse(lines: list[str]) -> Blocklist:
    rows = [row for row in csv.DictReader(line for line in lines if not line.lstrip().startswith("#"))]
    terms = {}
    for row in rows:
        term = fold((row.get("term") or "").strip())
        if term:
            terms[term] = ((row.get("language") or "").strip(), (row.get("note") or "").strip())
    ordered = tuple((term, *terms[term]) for term in sorted(terms, key=len, reverse=True))
    if not ordered:
        return Blocklist((), None)
    alternatives = "|".join(r"\s+".join(map(re.escape, term.split())) for term, _, _ in ordered)
    return Blocklist(ordered, re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.UNICODE))


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Blocklist:
    return parse(Path(path).read_text(encoding="utf-8").splitlines())


def load(data_dir: Path | None = None) -> Blocklist:
    """The blocklist from the event's data folder, read again whenever the file changes."""
    path = (data_dir or settings.data_dir()) / FILE_NAME
    if not path.exists():
        return Blocklist((), None)
    return _load(str(path), path.stat().st_mtime)
