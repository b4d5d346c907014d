"""Relaxation: when no page holds every word of a query, the pages holding most of them.

Cadres type what they remember plus words of their own ("tài liệu hướng dẫn sinh hoạt
chi bộ mới nhất"). A page is scored by the share of the query it holds: each word
weighted by how rare it is in the archive (inverse document frequency), so "bài", "về"
and "năm" weigh little, and each pair of neighbouring query words standing together in
it weighted by how rare that pair is (the remembered phrase); then by the engine's score.
Quoted phrases and +words stay mandatory; -words stay excluded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from index.engine import FOLD, Boost, Candidate, Engine, EnginePhrase, EngineQuery
from index.query import ParsedQuery, Phrase, Requirement
from vntext import fold


@dataclass(frozen=True)
class Relaxed:
    candidate: Candidate
    matched: tuple[int, ...]  # indexes into ParsedQuery.required
    coverage: float  # weighted share of the query the page holds, 0..1

    def key(self) -> tuple[float, ...]:
        return (self.coverage, self.candidate.score)


PAIR_SHARE = 2.0  # a pair of query words standing together: twice what a word that rare counts


def _folded(phrase: Phrase) -> EnginePhrase:
    return tuple((fold(s),) for s in phrase.syllables)


def can_relax(parsed: ParsedQuery) -> bool:
    optional = [r for r in parsed.required if not r.mandatory]
    return len(parsed.required) >= 2 and bool(optional)


def relaxed_query(parsed: ParsedQuery, base: EngineQuery, weight: Weights) -> EngineQuery:
    """Every mandatory requirement, and at least one of the others; the others and the
    query's neighbouring words as boosts weighted as ``score`` weighs them, so the engine's
    pool already favours the pages relaxation will rank first."""
    mandatory = [r for r in parsed.required if r.mandatory]
    optional = [r for r in parsed.required if not r.mandatory]
    must = [[[_folded(p) for p in option] for option in r.options] for r in mandatory]
    if not mandatory:  # else the mandatory parts alone make a page worth showing
        must.append([[_folded(p) for p in option] for r in optional for option in r.options])
    boosts = [Boost(FOLD, _folded(p), 1.0) for r in optional for option in r.options for p in option]
    run = parsed.plain_run
    boosts += [Boost(FOLD, ((fold(a),), (fold(b),)), max(0.1, weight.pair(a, b)))
               for a, b in zip(run, run[1:], strict=False)]
    return EngineQuery(must=must, must_not=base.must_not, boosts=boosts, date_from=base.date_from,
                       date_to=base.date_to, issue=base.issue, hidden=base.hidden)


@dataclass(frozen=True)
class Weights:
    """How much each part of a query counts: a syllable by its inverse document frequency
    (rare words weigh more than "bài", "về", "năm")."""

    idf: dict[str, float]  # folded syllable -> weight
    pair_idf: dict[tuple[str, str], float]  # neighbouring query words, folded -> weight as a phrase

    def requirement(self, requirement: Requirement) -> float:
        """As typed for an abbreviation or its full form; the lighter side of an OR."""
        options = requirement.options[:1] if requirement.expanded else requirement.options
        return min(sum(self.idf.get(fold(s), 0.0) for p in option for s in p.syllables) for option in options)

    def pair(self, first: str, second: str) -> float:
        """Two neighbouring query words standing together, weighted by how rare they are
        together: "gặp phải" on one page weighs more than "tài liệu" on hundreds."""
        return PAIR_SHARE * self.pair_idf.get((fold(first), fold(second)), 0.0)


def weights(engine: Engine, parsed: ParsedQuery) -> Weights:
    syllables = {fold(s) for r in parsed.required for o in r.options for p in o for s in p.syllables}
    freqs = engine.doc_freqs(FOLD, sorted(syllables))
    pages = max(1, engine.count())

    def idf(count: int) -> float:
        return math.log(1 + pages / (1 + count))

    run = [fold(s) for s in parsed.plain_run]
    pairs = {(a, b): idf(engine.phrase_freq(FOLD, (a, b))) for a, b in zip(run, run[1:], strict=False)}
    return Weights({s: idf(freqs.get(s, 0)) for s in syllables}, pairs)


def _holds(page: str, requirement: Requirement) -> bool:
    return any(all(f" {_text(p)} " in page for p in option) for option in requirement.options)


def score(parsed: ParsedQuery, weight: Weights, candidate: Candidate) -> Relaxed:
    """The page's coverage: the weight of the requirements it holds, and of the query's
    neighbouring words standing together in it (the remembered phrase), over the whole
    query's."""
    page = f" {candidate.doc.fold} "
    matched = tuple(i for i, r in enumerate(parsed.required) if _holds(page, r))
    run = parsed.plain_run
    pairs = list(zip(run, run[1:], strict=False))
    together = [(a, b) for a, b in pairs if f" {fold(a)} {fold(b)} " in page]
    everything = sum(map(weight.requirement, parsed.required)) + sum(weight.pair(a, b) for a, b in pairs)
    covered = sum(weight.requirement(parsed.required[i]) for i in matched)
    covered += sum(weight.pair(a, b) for a, b in together)
    return Relaxed(candidate, matched, covered / (everything or 1.0))


def _text(phrase: Phrase) -> str:
    return " ".join(fold(s) for s in phrase.syllables)
