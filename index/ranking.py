"""Ranking refinement on the engine's candidates, the same for every engine.

The engine finds the articles and pages where every word matches (folded) and orders them by term
statistics plus phrase boosts. Here the top candidates are re-ordered by, in turn:

1. the query's words adjacent in the query's order (a phrase);
2. exact matches before edit-distance (near) matches;
3. the whole phrase in an article's title (title words weigh more than body words);
4. the phrase with exact diacritics;
5. neighbouring query words that form one word of the page (a compound, "chi_bộ");
6. neighbouring query words that stand adjacent (compounds typed in another order);
7. how close together all the words stand (a small window beats a scattered page; the
   count of query syllables an article's title holds is no measure: common ones such as
   "một số" stand in many titles);
8. syllables with exact diacritics; longer compounds;
9. the engine's score (term statistics).
"""

from __future__ import annotations

from dataclasses import dataclass

from index.engine import Candidate
from vntext import fold

# Slack (extra tokens inside the smallest window holding every query word) -> closeness.
_WINDOW_BUCKETS = ((0, 5), (3, 4), (10, 3), (30, 2), (100, 1))


@dataclass(frozen=True)
class RankQuery:
    run: tuple[str, ...]  # canonical syllables in query order (plain words and phrases)
    alternatives: tuple[frozenset[str], ...]  # folded forms accepted at each run position
    exact: frozenset[str] = frozenset()  # every canonical syllable asked for, OR sides too


@dataclass(frozen=True)
class Features:
    phrase: int
    strict: int
    title_phrase: int
    exact_phrase: int
    word_pairs: int
    adjacent_pairs: int
    closeness: int
    exact_terms: int
    word_matches: int
    engine_score: float

    def key(self) -> tuple[float, ...]:
        return (self.phrase, self.strict, self.title_phrase, self.exact_phrase,
                self.word_pairs, self.adjacent_pairs,
                self.closeness, self.exact_terms, self.word_matches, self.engine_score)

    @property
    def score(self) -> float:
        """One number that orders hits as ``key`` does (for display and JSON)."""
        value = 0
        for feature, radix in ((self.phrase, 2), (self.strict, 2), (self.title_phrase, 2),
                               (self.exact_phrase, 2),
                               (self.word_pairs, 10), (self.adjacent_pairs, 10), (self.closeness, 6),
                               (self.exact_terms, 10), (self.word_matches, 10)):
            value = value * radix + min(feature, radix - 1)
        return round(value + self.engine_score / (1.0 + self.engine_score), 4)


def features(query: RankQuery, candidate: Candidate, strict: bool) -> Features:
    doc = candidate.doc
    fold_text, exact_text, words_text = f" {doc.fold} ", f" {doc.exact} ", f" {doc.wfold} "
    # positions (token indexes) of each accepted form, found by C-speed substring search
    # rather than a Python loop over the page's ~600 tokens
    found: dict[str, list[int]] = {}
    for form in frozenset().union(*query.alternatives) if query.alternatives else ():
        found[form] = _token_positions(fold_text, form)
    positions = [sorted({j for form in accepted for j in found[form]}) for accepted in query.alternatives]
    n = len(query.run)
    sets = [set(p) for p in positions]
    phrase_starts = [j for j in positions[0] if all(j + i in sets[i] for i in range(1, n))] if n else []
    exact_phrase = bool(phrase_starts) and f" {' '.join(query.run)} " in exact_text and any(
        doc.exact.split(" ")[j : j + n] == list(query.run) for j in phrase_starts
    )
    exact_terms = sum(1 for s in query.exact if f" {s} " in exact_text)
    pairs = sum(1 for i in range(n - 1) if any(j + 1 in sets[i + 1] for j in positions[i]))
    folded_run = [fold(s) for s in query.run]
    word_pairs = sum(1 for i in range(n - 1) if f" {'_'.join(folded_run[i : i + 2])} " in words_text)
    word_matches = sum(
        1 for k in (3, 4) for i in range(n - k + 1) if f" {'_'.join(folded_run[i : i + k])} " in words_text
    )
    title = f" {doc.tfold} "
    in_title = [[j for form in accepted for j in _token_positions(title, form)]
                for accepted in query.alternatives]
    title_sets = [set(p) for p in in_title]
    title_phrase = n > 0 and any(all(j + i in title_sets[i] for i in range(1, n)) for j in in_title[0])
    return Features(
        phrase=int(bool(phrase_starts)), strict=int(strict), title_phrase=int(title_phrase),
        exact_phrase=int(exact_phrase),
        word_pairs=word_pairs, adjacent_pairs=pairs, closeness=_closeness(positions),
        exact_terms=exact_terms, word_matches=word_matches, engine_score=candidate.score,
    )


def _token_positions(text: str, token: str) -> list[int]:
    """Indexes of ``token`` among the space-separated tokens of `` text `` (padded)."""
    needle = f" {token} "
    out = []
    at = text.find(needle)
    while at >= 0:
        out.append(text.count(" ", 0, at))
        at = text.find(needle, at + len(needle) - 1)
    return out


def _closeness(positions: list[list[int]]) -> int:
    if not positions or any(not p for p in positions):
        return 0
    if len(positions) == 1:
        return _WINDOW_BUCKETS[0][1]
    slack = _min_window(positions) - len(positions)
    for limit, bucket in _WINDOW_BUCKETS:
        if slack <= limit:
            return bucket
    return 0


def _min_window(positions: list[list[int]]) -> int:
    """Length of the smallest span of tokens holding one position of every list."""
    events = sorted((pos, i) for i, plist in enumerate(positions) for pos in plist)
    need = len(positions)
    counts = [0] * need
    have = 0
    best = len(events) + 10**9
    left = 0
    for pos, i in events:
        counts[i] += 1
        if counts[i] == 1:
            have += 1
        while have == need:
            left_pos, left_i = events[left]
            best = min(best, pos - left_pos + 1)
            counts[left_i] -= 1
            if counts[left_i] == 0:
                have -= 1
            left += 1
    return best
