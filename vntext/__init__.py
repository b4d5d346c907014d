"""The Vietnamese language: clean-up, syllable forms, folding, word segmentation.

The lowest layer of bantin beside ``archive``: it imports nothing of ours, and every
function says which form of the text it takes and returns (see ``vntext.syllables``).
"""

from vntext.cleanup import clean_text, normalize_syllable
from vntext.segment import segment_words
from vntext.syllables import (
    SYLLABLE,
    canonical,
    diacritic_forms,
    fold,
    fold_syllable,
    has_diacritics,
    looks_like_syllable,
    syllables,
)

__all__ = [
    "SYLLABLE",
    "canonical",
    "clean_text",
    "diacritic_forms",
    "fold",
    "fold_syllable",
    "has_diacritics",
    "looks_like_syllable",
    "normalize_syllable",
    "segment_words",
    "syllables",
]
