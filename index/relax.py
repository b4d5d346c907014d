"""Relaxation: when no page holds every word of a query, the pages holding most of them.

Cadres type what they remember plus words of their own ("tài liệu hướng dẫn sinh hoạt
chi bộ mới nhất"). A page is scored by the share of the query it holds, each word
weighted by how rare it is in the archive (inverse document frequency), so "bài", "về"
and "năm" weigh little; then by how many neighbouring query words stand adjacent in it.
Quoted phrases and +words stay mandatory; -words stay excluded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from index.engine import FOLD, Boost, Candidate, Engine, EnginePhrase, EngineQuery
from index.query import ParsedQuery, Phrase, Requirement
from vntext import fold

COVERAGE_STEPS = 20  # coverage compared in steps of 5%: a common word more or less is a tie


@dataclass(frozen=True)
class Relaxed:
    candidate: Candidate
    matched: tuple[int, ...]  # indexes into ParsedQuery.required
    coverage: float  # weighted share of the query the page holds, 0..1
    pairs: int  # neighbouring query words adjacent in the page

    def key(self) -> tuple[float, ...]:
        return (round(self.coverage * COVERAGE_STEPS), self.pairs, self.candidate.score)


def _folded(phrase: Phrase) -> EnginePhrase:
    return tuple((fold(s),) for s in phrase.syllables)


def can_relax(parsed: ParsedQuery) -> bool:
    optional = [r for r in parsed.required if not r.mandatory]
    return len(parsed.required) >= 2 and bool(optional)


def relaxed_query(parsed: ParsedQuery, base: EngineQuery) -> EngineQuery:
    """Every mandatory requirement, and at least one of the others; the others and the
    query's neighbouring words as boosts, so the engine's pool favours pages with more."""
    mandatory = [r for r in parsed.required if r.mandatory]
    optional = [r for r in parsed.required if not r.mandatory]
    must = [[[_folded(p) for p in option] for option in r.options] for r in mandatory]
    must.append([[_folded(p) for p in option] for r in optional for option in r.options])
    boosts = [Boost(FOLD, _folded(p), 1.0) for r in optional for option in r.options for p in option]
    run = parsed.plain_run
    boosts += [Boost(FOLD, ((fold(a),), (fold(b),)), 2.0) for a, b in zip(run, run[1:], strict=False)]
    return EngineQuery(must=must, must_not=base.must_not, boosts=boosts, date_from=base.date_from,
                       date_to=base.date_to, issue=base.issue)


def weights(engine: Engine, parsed: ParsedQuery) -> list[float]:
    """Each requirement's inverse document frequency (its most common form's, for an
    abbreviation and its full form; a phrase weighs as its rarest syllable)."""
    syllables = {fold(s) for r in parsed.required for o in r.options for p in o for s in p.syllables}
    freqs = engine.doc_freqs(FOLD, sorted(syllables))
    pages = max(1, engine.count())

    def idf(syllable: str) -> float:
        return math.log(1 + pages / (1 + freqs.get(fold(syllable), 0)))

    return [
        min(sum(max(idf(s) for s in p.syllables) for p in option) for option in r.options)
        for r in parsed.required
    ]


def _holds(page: str, requirement: Requirement) -> bool:
    return any(all(f" {' '.join(fold(s) for s in p.syllables)} " in page for p in option)
               for option in requirement.options)


def score(parsed: ParsedQuery, weight: list[float], candidate: Candidate) -> Relaxed:
    page = f" {candidate.doc.fold} "
    matched = tuple(i for i, r in enumerate(parsed.required) if _holds(page, r))
    run = [fold(s) for s in parsed.plain_run]
    pairs = sum(1 for a, b in zip(run, run[1:], strict=False) if f" {a} {b} " in page)
    total = sum(weight) or 1.0
    return Relaxed(candidate, matched, sum(weight[i] for i in matched) / total, pairs)
