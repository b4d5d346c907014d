"""Vietnamese syllable forms. Whoever stores one says which form it holds:

- display text: clean text (``vntext.cleanup``), NFC, as written;
- canonical syllable: NFC, lower-case, one tone-mark style (hoà/hòa, thuỷ/thủy) and one
  i/y spelling after a consonant (quí/quý, lí/lý); what the index's ``exact`` fields hold;
- folded: every diacritic removed, đ -> d (``fold`` works on whole strings too, e.g. for
  masthead and file-name patterns); what the index's ``fold`` fields hold.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from vntext.cleanup import normalize_syllable

SYLLABLE = re.compile(r"[^\W_]+")  # letters and digits; "_" joins word syllables in fields
_Y_AFTER_CONSONANT = re.compile(
    r"^(ngh|ng|nh|ch|kh|ph|th|tr|qu|b|c|d|đ|h|k|l|m|n|p|r|s|t|v|x)([yýỳỷỹỵ])$"
)
_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


_COMBINING = re.compile(r"[\u0300-\u036f]")


def _fold_table() -> dict[int, str]:
    """Every precomposed Latin letter to its base letter (ầ -> a), and đ -> d: one
    str.translate folds NFC text, much faster than decomposing it."""
    table = {ord("đ"): "d", ord("Đ"): "D"}
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        base = _COMBINING.sub("", unicodedata.normalize("NFD", chr(code)))
        if base != chr(code) and len(base) == 1 and base.isascii():
            table[code] = base
    return table


_FOLD_TABLE = _fold_table()


def fold(text: str) -> str:
    """Remove diacritics and vowel marks, đ -> d: the form for matching (index ``fold``
    fields, masthead and file-name patterns), never for display. Works on whole strings
    and keeps their syllables (spaces and underscores untouched)."""
    folded = text.translate(_FOLD_TABLE)
    if _COMBINING.search(folded):  # decomposed input: fold the slow way
        folded = _COMBINING.sub("", unicodedata.normalize("NFD", folded)).translate(_FOLD_TABLE)
    return folded


@lru_cache(maxsize=200_000)
def canonical(syllable: str) -> str:
    """The canonical (``exact``) form of one syllable."""
    form = normalize_syllable(unicodedata.normalize("NFC", syllable).lower())
    match = _Y_AFTER_CONSONANT.match(form)
    if match:
        form = match.group(1) + match.group(2).translate(_Y_TO_I)
    return form


@lru_cache(maxsize=200_000)
def fold_syllable(syllable: str) -> str:
    """Folded canonical form of one syllable as it stands in a display text."""
    return fold(canonical(syllable))


def syllables(text: str) -> list[tuple[str, int, int]]:
    """(canonical syllable, start, end) for each syllable of a display text."""
    return [(canonical(m.group()), m.start(), m.end()) for m in SYLLABLE.finditer(text)]


def has_diacritics(text: str) -> bool:
    return fold(text) != text


_VOWEL_FORMS = {"a": "aăâ", "e": "eê", "o": "oôơ", "u": "uư", "i": "i", "y": "y"}
_TONE_MARKS = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")


@lru_cache(maxsize=4096)
def diacritic_forms(folded: str) -> frozenset[str]:
    """Every canonical syllable that folds to ``folded`` ("bo" -> bo, bò, bộ, bơ, bở, ...):
    the candidates for putting a syllable typed without marks back into Vietnamese."""
    if not folded.isascii() or not folded.isalpha() or len(folded) > 7:
        return frozenset({folded})
    slots = [_VOWEL_FORMS.get(c, "đd" if c == "d" and i == 0 else c) for i, c in enumerate(folded)]
    vowel_at = [i for i, c in enumerate(folded) if c in _VOWEL_FORMS]
    bases = [""]
    for options in slots:
        bases = [b + o for b in bases for o in options]
    forms = set(bases)
    for base in bases:
        for at in vowel_at:
            for tone in _TONE_MARKS:
                forms.add(canonical(unicodedata.normalize("NFC", base[: at + 1] + tone + base[at + 1 :])))
    return frozenset(f for f in forms if fold(f) == folded)


_SYLLABLE_SHAPE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(ch|ng|nh|[cmnpt])?"
)


def looks_like_syllable(folded: str) -> bool:
    """Could this folded word be a Vietnamese syllable ("bai": yes; "thnng", "ubnd": no)?"""
    return bool(_SYLLABLE_SHAPE.fullmatch(folded))
