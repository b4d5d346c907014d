"""Snippets: about 300 characters of the page's display text around the best match,
every matched word marked by [start, end) offsets into the snippet."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vntext import SYLLABLE, fold, fold_syllable

SNIPPET_CHARS = 300
LEAD_CHARS = 60  # context kept before the first match


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: list[tuple[int, int]]
    start: int = 0  # where in the text the snippet begins


def make_snippet(text: str, alternatives: list[frozenset[str]], width: int = SNIPPET_CHARS) -> Snippet:
    """``alternatives``: folded forms accepted for each query syllable."""
    terms: dict[str, set[int]] = {}
    for i, accepted in enumerate(alternatives):
        for form in accepted:
            terms.setdefault(form, set()).add(i)
    matches = [(start, end, frozenset(terms[form])) for start, end, form in _find(text, frozenset(terms))]
    start = _best_start(matches, width)
    start = max(0, start - LEAD_CHARS) if matches else 0
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    body = text[start:end].replace("\n", " ")
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    offset = len(prefix) - start
    highlights = [(s + offset, e + offset) for s, e, _ in matches if s >= start and e <= end]
    return Snippet(prefix + body + suffix, highlights, start)


def _best_start(matches: list[tuple[int, int, frozenset[int]]], width: int) -> int:
    """Start of the window of ``width`` characters holding the most distinct query words."""
    best, best_start = (-1, -1), 0
    right = 0
    for left, (start, _, _) in enumerate(matches):
        right = max(right, left)
        while right + 1 < len(matches) and matches[right + 1][1] - start <= width - LEAD_CHARS:
            right += 1
        window = matches[left : right + 1]
        quality = (len(frozenset().union(*(m[2] for m in window))), len(window))
        if quality > best:
            best, best_start = quality, start
    return best_start


def highlight_spans(text: str, forms: frozenset[str]) -> list[tuple[int, int]]:
    """[start, end) of every syllable of a display text whose folded form is in ``forms``
    (a page's whole text, marked beside its image)."""
    return [(start, end) for start, end, _ in _find(text, forms)]


def _find(text: str, forms: frozenset[str]) -> list[tuple[int, int, str]]:
    """The syllables of a display text whose folded form is in ``forms``: (start, end,
    form). The text is folded whole (one C-speed translate) and searched for the forms;
    each hit is then checked syllable by syllable, as the index folds it."""
    if not forms:
        return []
    folded = fold(text).lower()
    if len(folded) != len(text):  # a character whose lower case is longer: the slow way
        return [(m.start(), m.end(), f) for m in SYLLABLE.finditer(text)
                if (f := fold_syllable(m.group())) in forms]
    # "quý" folds to "quy" but its canonical form to "qui": look for both spellings
    spellings = {f for form in forms for f in (form, _Y_FOR_I.sub(r"\1y", form))}
    longest_first = sorted(spellings, key=len, reverse=True)
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, longest_first)) + r")(?![^\W_])")
    found = []
    for m in pattern.finditer(folded):
        form = fold_syllable(text[m.start() : m.end()])
        if form in forms:
            found.append((m.start(), m.end(), form))
    return found


_Y_FOR_I = re.compile(r"^(ngh|ng|nh|ch|kh|ph|th|tr|qu|[bcdhklmnprstvx])i$")
