"""Word segmentation (underthesea) aligned to canonical syllables.

Vietnamese writes one syllable per space; a word ("sinh hoạt", "chi bộ") is one or more
syllables. underthesea finds the words; here they are mapped back onto the syllable
tokens of ``vntext.syllables.syllables`` so callers can store them by position.
"""

from __future__ import annotations

from vntext.syllables import SYLLABLE, canonical

RESYNC_WINDOW = 8  # tokens looked ahead when segmentation and syllables disagree


def segment_words(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    """Multi-syllable words of ``text`` as (first token, syllable count) into ``tokens``
    (its canonical syllables, in order); words that cannot be aligned are skipped."""
    from underthesea import word_tokenize  # its NLP pipeline loads only where words are segmented

    words: list[tuple[int, int]] = []
    pointer = 0
    for word in word_tokenize(text):
        parts = [canonical(m.group()) for m in SYLLABLE.finditer(word)]
        if not parts:
            continue
        found = _find(tokens, parts, pointer)
        if found is None:
            continue
        if len(parts) > 1 and " " in word.strip():
            words.append((found, len(parts)))
        pointer = found + len(parts)
    return words


def _find(tokens: list[str], parts: list[str], pointer: int) -> int | None:
    for start in range(pointer, min(pointer + RESYNC_WINDOW, len(tokens))):
        if tokens[start : start + len(parts)] == parts:
            return start
    return None
