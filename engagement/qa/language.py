"""Offline language detection for short questions, in the languages a conference works in.

Questions are a sentence or two, so counting each language's commonest words (and reading the
script for Cyrillic, Greek and Arabic) is accurate enough and needs no model download. A question
with no telling word gets ``None``; participants can always pick the language themselves.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

STOPWORDS = {
    "en": "the and of to in is are what how why who which will would could should can do does this that with for "
    "from have has we you they our your be not on it at by an or about there their".split(),
    "fr": "le la les des du de et est sont que qui quoi comment pourquoi quel quelle quels quelles pour dans "
    "avec sur une un nous vous ils elles pas ce cette ces au aux leur leurs être peut".split(),
    "de": "der die das und ist sind wie warum wer was welche welcher welches für mit auf ein eine nicht "
    "wir sie ihr den dem des im zu von bei noch auch kann können wird werden".split(),
    "it": "il lo la gli le dei degli delle di del della e è sono che chi cosa come perché quale quali per "
    "con una uno non noi voi loro nel nella alla questo questa può".split(),
    "es": "el la los las del de y es son que quién qué cómo por qué cuál cuáles para con una uno no "
    "nosotros ustedes ellos en al este esta su sus puede pueden hay".split(),
    "ru": "и в не на что как почему кто какие какой это для с по мы вы они их из о к у же ли бы или "
    "может могут есть".split(),
    "uk": "і в не на що як чому хто які який це для з по ми ви вони їх із до ж чи або може є".split(),
    "nl": "de het een en van is zijn wat hoe waarom wie welke voor met op niet wij jullie zij in te".split(),
    "pt": "o a os as do da dos das de e é são que quem como porque qual quais para com uma um não nós "
    "vocês eles em no na".split(),
}
_WORDS = {language: frozenset(words) for language, words in STOPWORDS.items()}
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "es": "Spanish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "nl": "Dutch",
    "pt": "Portuguese",
    "ar": "Arabic",
    "el": "Greek",
    "tr": "Turkish",
}
UKRAINIAN_LETTERS = set("іїєґ")


def detect(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is most likely in, or None when nothing tells."""
    lowered = text.lower()
    letters = [c for c in lowered if c.isalpha()]
    if not letters:
        return None
    script = lambda low, high: sum(low <= c <= high for c in letters) / len(letters)  # noqa: E731
    if script("\u0600", "\u06ff") > 0.5:
        return "ar"
    if script("\u0370", "\u03ff") > 0.5:
        return "el"
    cyrillic = script("\u0400", "\u04ff") > 0.5
    if cyrillic and UKRAINIAN_LETTERS & set(letters):
        return "uk"
    words = WORD.findall(lowered)
    candidates = ("ru", "uk") if cyrillic else tuple(k for k in _WORDS if k not in ("ru", "uk"))
    scores = {language: sum(word in _WORDS[language] for word in words) for language in candidates}
    best = max(scores, key=lambda language: scores[language])
    if scores[best] == 0:
        return "ru" if cyrillic else None
    return best
