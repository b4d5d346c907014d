"""Vietnamese text clean-up of OCR or text-layer output.

The raw text is kept beside the clean text in the archive; only the clean text is
indexed and shown.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from underthesea.pipeline.text_normalize import token_normalize

# Characters PDF extraction and OCR leave behind that carry no text: Arabic tatweel,
# zero-width spaces and joiners, soft hyphens, byte-order marks.
_INVISIBLE = dict.fromkeys(map(ord, "\u0640\u200b\u200c\u200d\u00ad\ufeff"), None)
_HYPHEN_BREAK = re.compile(r"(\w)-\n[ \t]*(\w)")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_SYLLABLE = re.compile(r"\w+")


@lru_cache(maxsize=65536)
def normalize_syllable(syllable: str) -> str:
    """One tone-mark style, the one underthesea uses: hoà -> hòa, thuỷ -> thủy."""
    return str(token_normalize(syllable))


def clean_text(raw: str) -> str:
    """NFC, one tone-mark style, hyphenated line ends joined, whitespace collapsed."""
    text = unicodedata.normalize("NFC", raw).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = _HYPHEN_BREAK.sub(_join_hyphenated, text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    return _SYLLABLE.sub(lambda m: normalize_syllable(m.group()), text)


def _join_hyphenated(match: re.Match[str]) -> str:
    # Only a lower-case continuation is a word broken by the line end; "Hà-\nNội" keeps
    # its hyphen as a compound name.
    head, tail = match.group(1), match.group(2)
    return f"{head}{tail}" if tail.islower() else f"{head}-{tail}"


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
