"""Runs of the query's syllables standing together, and the query's words.

What a cadre remembers is a run of syllables ("gặp phải", "sinh hoạt chi bộ"), typed
among words of their own ("tài liệu ... mới nhất"). A document is ranked first by the
longest run of the query's words it holds together and in the typed order, so that the
words around a remembered phrase cost nothing however many documents hold them; rarity
orders documents after that (``ranking`` and ``relax`` weigh rare words and pairs more).

The query's *words* are its syllables grouped as the archive writes them: two or three
neighbouring syllables that the archive holds as one word ("chi_bộ", "khuyến_học") are
one word, the others a word each. Highlights mark whole words only, and a relaxed hit
must hold one whole word at least.
"""

from __future__ import annotations

from index.engine import WORDS_FOLD, Engine

Accepted = tuple[frozenset[str], ...]  # folded forms accepted at each position of a run


def positions(padded: str, accepted: Accepted) -> list[set[int]]:
    """Token indexes of `` padded `` (space-separated, padded) holding each position's forms."""
    out = []
    for forms in accepted:
        found: set[int] = set()
        for form in forms:
            needle = f" {form} "
            at = padded.find(needle)
            while at >= 0:
                found.add(padded.count(" ", 0, at))
                at = padded.find(needle, at + len(needle) - 1)
        out.append(found)
    return out


def runs(at: list[set[int]]) -> set[tuple[int, int]]:
    """The maximal runs (start in the query, length >= 2) of query positions standing
    adjacent and in order somewhere in the document."""
    found: set[tuple[int, int]] = set()
    n = len(at)
    for i in range(n - 1):
        for j in at[i]:
            if i > 0 and j - 1 in at[i - 1]:
                continue  # not where a run starts
            length = 1
            while i + length < n and j + length in at[i + length]:
                length += 1
            if length >= 2:
                found.add((i, length))
    return found


def aligned(found: set[tuple[int, int]], words: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The runs cut to the query's word boundaries: "phải cập" standing together on a page
    is two halves of "gặp phải" and "cập nhật", not a run anyone remembered."""
    starts = {i for i, _ in words}
    ends = {i + n for i, n in words}
    out = set()
    for start, length in found:
        first = min((s for s in starts if s >= start), default=None)
        last = max((e for e in ends if e <= start + length), default=None)
        if first is not None and last is not None and last - first >= 2:
            out.add((first, last - first))
    return out


def query_words(engine: Engine, folded: tuple[str, ...]) -> list[tuple[int, int]]:
    """The query's words, as (start, length) over its syllables: greedy, the longest word
    the archive holds first (three syllables, then two), else one syllable."""
    words = []
    i = 0
    while i < len(folded):
        for length in (3, 2, 1):
            if length == 1:
                words.append((i, 1))
                break
            if i + length <= len(folded):
                term = "_".join(folded[i : i + length])
                if engine.doc_freqs(WORDS_FOLD, [term]).get(term, 0) > 0:
                    words.append((i, length))
                    break
        i += words[-1][1]
    return words
