"""Near matches: the indexed words one letter away from a typed word, for OCR misreads
and typing slips ("thnng" -> "thông", "ưung" -> "trung")."""

from __future__ import annotations

from functools import lru_cache

from index.engine import FOLD, Engine
from vntext import fold

FUZZY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
MAX_ALTERNATIVES = 24  # edit-distance-1 forms kept per syllable, most frequent first
# When the typed words match many pages but never side by side, only a misread common
# word can be behind it: its few most frequent neighbours are enough, and a phrase
# search over many pages costs in proportion to the forms tried.
MANY_PAGES = 2000
FEW_ALTERNATIVES = 1
MAX_NEAR_LENGTH = 12  # a Vietnamese syllable has at most 7 letters; longer tokens are codes

# Vietnamese initial consonants written with two or three Latin letters; each is one
# letter of the Vietnamese alphabet, and OCR misreads it as one ("trung" -> "ưung").
INITIAL_CLUSTERS = ("ngh", "ch", "gh", "gi", "kh", "ng", "nh", "ph", "qu", "th", "tr")


@lru_cache(maxsize=4096)
def edits1(word: str) -> frozenset[str]:
    """Every folded string one letter (delete, replace, insert, transpose) from ``word``,
    counting a Vietnamese initial cluster (tr, ngh, ...) as one letter. Kept: a search
    asks for the same few words once per candidate page."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    lead = next((c for c in INITIAL_CLUSTERS if word.startswith(c)), word[:1])
    rest = word[len(lead):]
    return frozenset(
        {a + b[1:] for a, b in splits if b}
        | {a + c + b[1:] for a, b in splits if b for c in FUZZY_ALPHABET}
        | {a + c + b for a, b in splits for c in FUZZY_ALPHABET}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {c + rest for c in INITIAL_CLUSTERS}
        | {rest}
    ) - {word, ""}


def fuzzy_alternatives(
    engine: Engine, syllables: list[str], most: int = MAX_ALTERNATIVES
) -> dict[str, tuple[str, ...]]:
    """For each syllable, its folded form then the (``most``) most frequent indexed forms
    one edit away."""
    result: dict[str, tuple[str, ...]] = {}
    for syllable in dict.fromkeys(syllables):
        typed = fold(syllable)
        if not 2 <= len(typed) <= MAX_NEAR_LENGTH:
            result[syllable] = (typed,)
            continue
        freqs = engine.doc_freqs(FOLD, sorted(edits1(typed)))
        near = sorted((t for t, df in freqs.items() if df > 0), key=lambda t: (-freqs[t], t))
        result[syllable] = (typed, *near[:most])
    return result
