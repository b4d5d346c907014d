"""Vietnamese text forms used by the index. Each field says which form it holds:

- display text: the archive's clean text, NFC, untouched (snippets are cut from it);
- canonical syllable (``exact`` fields): NFC, lower-case, one tone-mark style
  (hoà/hòa, thuỷ/thủy) and one i/y spelling after a consonant (quí/quý, lí/lý);
- folded syllable (``fold`` fields): canonical with every diacritic removed, đ -> d
  (``pipeline.cleanup.fold``, shared with the masthead and file-name patterns).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline.cleanup import fold, normalize_syllable

SYLLABLE = re.compile(r"[^\W_]+")  # letters and digits; "_" joins word syllables in fields
_Y_AFTER_CONSONANT = re.compile(
    r"^(ngh|ng|nh|ch|kh|ph|th|tr|qu|b|c|d|đ|h|k|l|m|n|p|r|s|t|v|x)([yýỳỷỹỵ])$"
)
_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")
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
