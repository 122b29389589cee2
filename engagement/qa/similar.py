"""Similar questions within a session, for moderators to merge.

Texts are folded (case, accents), Cyrillic is transliterated, each language's commonest words are
dropped, and what remains is compared as sets of character trigrams. That catches rewordings and
typos. Across languages, the organisers' glossary (``data/qa_glossary.csv``: "victim" = victime,
Opfer, жертва …) turns the event's key terms into shared concepts before comparing, and names and
cognates match by their letters. Two questions that share no glossary term or cognate are not
matched across languages: that would need a translation model, which this tool does not ship.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from engagement import settings
from engagement.qa.blocklist import fold
from engagement.qa.language import STOPWORDS, WORD

CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "_",
            "y",
            "_",
            "e",
            "iu",
            "ia",
            "i",
            "i",
            "e",
            "g",
        ],
        strict=True,
    )
)
ALL_STOPWORDS = frozenset(word for words in STOPWORDS.values() for word in map(fold, words))
THRESHOLD = 0.42
GLOSSARY_FILE = "qa_glossary.csv"
# A shared concept weighs about as much as a shared word of average length.
CONCEPT_WEIGHT = 5


def _transliterate(word: str) -> str:
    return "".join(CYRILLIC.get(c, c) for c in word).replace("_", "")


@lru_cache(maxsize=4)
def _read_glossary(path: str, mtime: float) -> tuple[tuple[str, str], ...]:
    lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    stems = []
    for row in csv.DictReader(lines):
        for stem in (row.get("stems") or "").split(","):
            if stem.strip():
                stems.append((fold(stem.strip()), (row.get("concept") or "").strip()))
    # Longest stems first, so "supply chain" wins over "supply".
    return tuple(sorted(stems, key=lambda item: -len(item[0])))


def glossary() -> tuple[tuple[str, str], ...]:
    path = settings.data_dir() / GLOSSARY_FILE
    return _read_glossary(str(path), path.stat().st_mtime) if path.exists() else ()


def signature(text: str, terms: tuple[tuple[str, str], ...] | None = None) -> frozenset[str]:
    terms = glossary() if terms is None else terms
    folded = fold(text)
    grams: set[str] = set()
    for stem, concept in terms:
        if " " in stem and stem in folded:
            folded = folded.replace(stem, " ")
            grams.update(f"\x00{concept}{n}" for n in range(CONCEPT_WEIGHT))
    for word in WORD.findall(folded):
        if word in ALL_STOPWORDS:
            continue
        prefixed = next((c for stem, c in terms if " " not in stem and word.startswith(stem)), None)
        if prefixed:
            grams.update(f"\x00{prefixed}{n}" for n in range(CONCEPT_WEIGHT))
            continue
        word = f" {_transliterate(word)} "
        grams.update(word[i : i + 3] for i in range(len(word) - 2))
    return frozenset(grams)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    # Overlap over the smaller set: a short question inside a longer one counts as similar.
    return common / min(len(a), len(b)) * 0.5 + common / (len(a) + len(b) - common) * 0.5


@lru_cache(maxsize=50_000)
def _cached_signature(text: str, terms: tuple[tuple[str, str], ...]) -> frozenset[str]:
    return signature(text, terms)


def suggestions_for(
    shown: list[tuple[int, str]], pool: list[tuple[int, str]], threshold: float = THRESHOLD, most: int = 5
) -> dict[int, list[tuple[int, float]]]:
    """For each shown (id, text), up to ``most`` others of ``pool`` like it, most alike first. Costs
    len(shown) × len(pool) comparisons, so a page of a large queue stays quick."""
    terms = glossary()
    signatures = [
        (qid, signature, len(signature)) for qid, text in pool if (signature := _cached_signature(text, terms))
    ]
    found = {}
    for qid, text in shown:
        mine = _cached_signature(text, terms)
        if not mine:
            continue
        size = len(mine)
        # similarity() written out: this loop runs once per pair of a page of the queue and its session.
        scores = [
            (other, round(score, 2))
            for other, theirs, their_size in signatures
            if (common := len(mine & theirs))
            and other != qid
            and (score := common / min(size, their_size) * 0.5 + common / (size + their_size - common) * 0.5)
            >= threshold
        ]
        if scores:
            found[qid] = sorted(scores, key=lambda item: -item[1])[:most]
    return found


def ranked(text: str, pool: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """``pool``'s (id, text) pairs, the most like ``text`` first."""
    terms = glossary()
    mine = _cached_signature(text, terms)
    return sorted(pool, key=lambda item: -similarity(mine, _cached_signature(item[1], terms)))
