"""Snippets: about 300 characters of the page's display text around the best match,
every query word standing there marked by [start, end) offsets into the snippet."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.query import ParsedQuery
from vntext import SYLLABLE, canonical, fold, fold_syllable
from vntext.diacritics import compound_pairs

SNIPPET_CHARS = 300
LEAD_CHARS = 60  # context kept before the first match
# A query's marks: each a word (or phrase) as the folded forms accepted at each syllable.
Marks = tuple[tuple[frozenset[str], ...], ...]


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: list[tuple[int, int]]
    start: int = 0  # where in the text the snippet begins


def query_marks(parsed: ParsedQuery, accepted: dict[str, frozenset[str]],
                words: list[tuple[int, int]]) -> Marks:
    """What is marked for a query: each of its words (``words`` over its plain run, a
    compound whole), and the phrases of OR alternatives and of abbreviations' full forms.
    ``accepted``: folded forms accepted for a syllable (near matches), else its own."""
    run = parsed.plain_run

    def forms(syllable: str) -> frozenset[str]:
        return accepted.get(syllable, frozenset((fold(syllable),)))

    marks = [tuple(forms(s) for s in run[i : i + n]) for i, n in words]
    if len(words) > 1:  # the whole phrase first: where it stands, lone words are not marked
        marks.insert(0, tuple(forms(s) for s in run))
    for requirement in parsed.required:
        if len(requirement.options) > 1:
            options = requirement.options[1:] if requirement.expanded else requirement.options
            marks += [tuple(forms(s) for s in p.syllables) for option in options for p in option]
    return tuple(dict.fromkeys(marks))


def make_snippet(text: str, marks: Marks, width: int = SNIPPET_CHARS) -> Snippet:
    """About ``width`` characters around the best match, with the marked words."""
    matches = _marked(text, marks)
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


def highlight_spans(text: str, marks: Marks) -> list[tuple[int, int]]:
    """[start, end) of every syllable of a display text that belongs to a whole query word
    standing there (a page's whole text, marked beside its image)."""
    return [(start, end) for start, end, _ in _marked(text, marks)]


def _marked(text: str, marks: Marks) -> list[tuple[int, int, frozenset[int]]]:
    """The syllables of ``text`` inside a mark that stands whole: each of the mark's
    syllables in order, no word between them. A lone syllable of a compound
    ("bộ" of "chi bộ", "chỉ" of "chỉ đạo") is not marked."""
    found = _find(text, frozenset(f for mark in marks for position in mark for f in position))
    keep: dict[int, set[int]] = {}
    for k in range(len(found)):
        for w, mark in enumerate(marks):
            n = len(mark)
            if k + n <= len(found) and all(found[k + i][2] in mark[i] for i in range(n)) and all(
                    _adjacent(text[found[k + i][1] : found[k + i + 1][0]]) for i in range(n - 1)):
                for i in range(n):
                    keep.setdefault(k + i, set()).add(w)
    # Where the longest mark (the typed phrase) stands whole, a one-syllable word of it
    # elsewhere ("ở", "các") is not what the page was found for.
    longest = max((len(m) for m in marks), default=0)
    if longest > 1 and any(len(marks[w]) == longest for ws in keep.values() for w in ws):
        keep = {k: ws for k, ws in keep.items() if any(len(marks[w]) > 1 for w in ws)}
    if len(marks) > 1:  # a query of one syllable marks it wherever it stands
        marked = {(found[k][0], found[k][1]) for k in keep}
        keep = {k: ws for k, ws in keep.items() if any(len(marks[w]) > 1 for w in ws)
                or not _inside_compound(text, found[k][0], found[k][1], marked)}
    return [(found[k][0], found[k][1], frozenset(keep[k])) for k in sorted(keep)]


def _inside_compound(text: str, start: int, end: int, marked: set[tuple[int, int]]) -> bool:
    """The syllable at [start, end) makes a compound with a neighbour ("vệ" of "vệ sinh"
    for the query word "về"); beside another query word ("đổi số từ" for "chuyen doi so")
    it is what was asked for."""
    pairs = compound_pairs()
    here = canonical(text[start:end]).lower()
    before = _NEIGHBOUR_BEFORE.search(text, max(0, start - 40), start)
    after = _NEIGHBOUR_AFTER.match(text, end)
    if (before and before.span(1) in marked) or (after and after.span(1) in marked):
        return False  # it continues a run of the query's words
    return bool((before and (canonical(before.group(1)).lower(), here) in pairs)
                or (after and (here, canonical(after.group(1)).lower()) in pairs))


def _adjacent(between: str) -> bool:
    """Two syllables stand together with nothing but spaces and punctuation between them
    (as the index reads them: "về em. Sử dụng" holds "em sử dụng")."""
    return not any(c.isalnum() for c in between)


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


_NEIGHBOUR_BEFORE = re.compile(r"([^\W\d_]+)[ \t]+$")  # the syllable just before, spaces between
_NEIGHBOUR_AFTER = re.compile(r"[ \t]+([^\W\d_]+)")
_Y_FOR_I = re.compile(r"^(ngh|ng|nh|ch|kh|ph|th|tr|qu|[bcdhklmnprstvx])i$")
