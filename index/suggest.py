""""Có phải bạn muốn tìm": the query as the archive's own vocabulary writes it.

A word typed without marks gets the marks the archive uses most for it, chosen with its
neighbours where they form a compound ("sinh hoat chi bo" -> "sinh hoạt chi bộ", not
"chỉ bộ"); a word rare or absent in the archive is replaced by the most frequent word
one letter away ("thnng tin" -> "thông tin").
"""

from __future__ import annotations

from dataclasses import dataclass

from index.engine import EXACT, FOLD, Engine
from index.near import edits1
from index.query import ParsedQuery
from vntext import canonical, diacritic_forms, fold, has_diacritics, looks_like_syllable
from vntext.trusted import TrustedCounts

RARE = 2  # pages: a folded word found on fewer is looked up one letter away
BETTER = 20  # a neighbour must be this many times more frequent to replace a rare word
CANDIDATES = 3  # marked forms per word tried with its neighbours


def suggest(engine: Engine, parsed: ParsedQuery, context: list[str],
            trusted: TrustedCounts | None = None) -> str | None:
    """The suggested query, or None when it would read as typed. ``context``: the
    canonical syllables (``exact`` field) of the pages the search found, where a word's
    forms are looked for beside its neighbours (the whole index when it found none);
    ``trusted``: the archive's trusted text (born-digital pages, corrected lines), whose
    forms come first where it holds the words together (OCR's "chỉ bộ" is no evidence
    against the covers' "CHI BỘ")."""
    if any(len(r.options) > 1 and not r.expanded for r in parsed.required):
        return None  # OR: the cadre chose the forms
    typed = [p for r in parsed.required for p in r.options[0]]
    if any(p.quoted or not p.typed for p in typed):
        return None  # a quoted phrase: as typed
    words = [w for p in typed for w in p.typed.split()]
    options = [[(w, 1)] if not_vietnamese(w) else _marked_forms(engine, _frequent_neighbour(
        engine, fold(canonical(w))), w) for w in words]
    chosen = _with_neighbours(engine, options, Context(engine, context, trusted or TrustedCounts()))
    suggestion = " ".join(chosen)
    if suggestion == " ".join(w if not_vietnamese(w) else canonical(w) for w in words):
        return None
    return suggestion


def not_vietnamese(word: str) -> bool:
    """A word no Vietnamese spelling fits, left as typed: a field or address ("title:abc"),
    a number or code ("2019", "A4"), a Latin word ("online" keeps its f, j, w or z; "NOT"
    in capitals without marks). "thnng" is a Vietnamese word misspelt, and is suggested for."""
    letters = [c for c in word if c.isalpha()]
    return (not letters or any(c.isdigit() or c in ":/@._=" for c in word)
            or any(c in "fjwzFJWZ" for c in letters)
            or (len(letters) >= 2 and word.isupper() and not has_diacritics(word)))


def _frequent_neighbour(engine: Engine, typed: str) -> str:
    if not typed.isalpha() or len(typed) > 7:
        return typed
    freq = engine.doc_freqs(FOLD, [typed])[typed]
    if freq >= RARE:
        return typed
    near = engine.doc_freqs(FOLD, sorted(edits1(typed)))
    best = max(near, key=lambda t: (near[t], t), default=typed)
    # A word that cannot be Vietnamese ("thnng") takes its most frequent neighbour; a real
    # word the archive lacks or rarely has ("bai", typed beside the remembered phrase)
    # only a far more frequent one.
    needed = 1 if not freq and not looks_like_syllable(typed) else BETTER * max(1, freq)
    return best if near.get(best, 0) >= needed else typed


def _marked_forms(engine: Engine, folded: str, typed: str) -> list[tuple[str, int]]:
    """The archive's forms of a folded word, most frequent first (the typed form itself
    when it already has marks and is in the archive)."""
    typed_form = canonical(typed)
    marked = has_diacritics(typed_form) and fold(typed_form) == folded
    if marked and engine.doc_freqs(EXACT, [typed_form])[typed_form] > 0:
        return [(typed_form, 1)]
    freqs = engine.doc_freqs(EXACT, sorted(diacritic_forms(folded)))
    found = sorted(((f, n) for f, n in freqs.items() if n > 0), key=lambda fn: (-fn[1], fn[0]))
    return found[:CANDIDATES] or [(folded, 0)]


@dataclass(frozen=True)
class Context:
    """Where to count how often words stand together: the pages found, else the index."""

    engine: Engine
    pages: list[str]
    trusted: TrustedCounts

    def together(self, words: tuple[str, ...]) -> int:
        if not self.pages:
            return self.engine.phrase_freq(EXACT, words)
        phrase = f" {' '.join(words)} "
        return sum(f" {page} ".count(phrase) for page in self.pages)


def _with_neighbours(engine: Engine, options: list[list[tuple[str, int]]], context: Context) -> list[str]:
    """Left to right, each word's form that stands most often beside the form chosen
    before it, then the most frequent; the first word is chosen again beside the second."""
    chosen = [forms[0][0] for forms in options]
    for i in range(1, len(options)):
        chosen[i] = _best(context, options[i], before=chosen[i - 1])
    if len(options) > 1:
        chosen[0] = _best(context, options[0], after=chosen[1])
    return chosen


def _best(context: Context, forms: list[tuple[str, int]], before: str = "", after: str = "") -> str:
    if len(forms) == 1:
        return forms[0][0]

    def beside(form: str) -> tuple[int, int]:
        words = tuple(w for w in (before, form, after) if w)
        return (context.trusted.together(words) if len(words) > 1 else 0), context.together(words)

    return max(forms, key=lambda fn: (beside(fn[0]), fn[1]))[0]
