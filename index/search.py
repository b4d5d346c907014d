"""Search: parse, ask the engine for candidates, fall back to edit-distance-1 matches when
exact terms find little, re-rank, cut snippets."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.engine import EXACT, FOLD, WORDS_FOLD, Boost, Candidate, EnginePhrase, EngineQuery
from index.manager import SearchIndex
from index.query import ParsedQuery, QueryError, parse
from index.ranking import Features, RankQuery, features
from index.schema import bound_key
from index.snippets import make_snippet
from vntext import fold

SORTS = ("relevance", "date")
MAX_LIMIT = 1000
MIN_POOL = 50  # candidates re-ranked for a relevance search
FUZZY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
MAX_ALTERNATIVES = 24  # edit-distance-1 forms kept per syllable, most frequent first
MAX_NEAR_LENGTH = 12  # a Vietnamese syllable has at most 7 letters; longer tokens are codes


@dataclass(frozen=True)
class Hit:
    issue: str
    number: int | None
    date: str | None
    page: int
    score: float
    snippet: str
    highlights: list[tuple[int, int]]
    near: bool = False  # found through near (edit-distance-1) forms, not the typed words


@dataclass(frozen=True)
class SearchResults:
    query: str
    total: int
    hits: list[Hit] = field(default_factory=list)
    fuzzy: bool = False  # some hits are edit-distance-1 (near) matches
    forms: frozenset[str] = frozenset()  # folded forms that matched (typed and near): to outline

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "total": self.total,
            "near": self.fuzzy,
            "hits": [
                {"issue": h.issue, "number": h.number, "date": h.date, "page": h.page,
                 "score": h.score, "near": h.near, "snippet": h.snippet,
                 "highlights": [list(span) for span in h.highlights]}
                for h in self.hits
            ],
        }


def _phrase(syllables: tuple[str, ...], alternatives: dict[str, tuple[str, ...]]) -> EnginePhrase:
    return tuple(alternatives.get(s, (fold(s),)) for s in syllables)


@dataclass(frozen=True)
class Scope:
    """Which pages a search looks at: inclusive date_key bounds, one issue."""

    date_from: int | None = None
    date_to: int | None = None
    issue: str | None = None


def build_query(parsed: ParsedQuery, alternatives: dict[str, tuple[str, ...]], scope: Scope) -> EngineQuery:
    """The engine query: every requirement on the folded field, boosts for the query's
    phrase (folded and exact) and its compounds. With near-match ``alternatives`` a query
    of several words must match as a phrase: scattered near matches are noise."""
    run = parsed.plain_run
    must = [
        [[_phrase(p.syllables, alternatives) for p in option] for option in r.options]
        for r in parsed.required
    ]
    if alternatives and len(run) > 1:
        must = [[[_phrase(run, alternatives)]]]
    boosts: list[Boost] = []
    if len(run) > 1:
        boosts.append(Boost(FOLD, _phrase(run, alternatives), 8.0))
        boosts.append(Boost(EXACT, tuple((s,) for s in run), 4.0))
        boosts += [
            Boost(WORDS_FOLD, ((fold(f"{a}_{b}"),),), 1.0) for a, b in zip(run, run[1:], strict=False)
        ]
    boosts += [Boost(EXACT, ((s,),), 0.5) for s in dict.fromkeys(run)]
    return EngineQuery(
        must=must,
        must_not=[_phrase(p.syllables, {}) for p in parsed.excluded],
        boosts=boosts,
        date_from=scope.date_from,
        date_to=scope.date_to,
        issue=scope.issue,
    )


# Vietnamese initial consonants written with two or three Latin letters; each is one
# letter of the Vietnamese alphabet, and OCR misreads it as one ("trung" -> "ưung").
INITIAL_CLUSTERS = ("ngh", "ch", "gh", "gi", "kh", "ng", "nh", "ph", "qu", "th", "tr")


def edits1(word: str) -> set[str]:
    """Every folded string one letter (delete, replace, insert, transpose) from ``word``,
    counting a Vietnamese initial cluster (tr, ngh, ...) as one letter."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    lead = next((c for c in INITIAL_CLUSTERS if word.startswith(c)), word[:1])
    rest = word[len(lead):]
    return (
        {a + b[1:] for a, b in splits if b}
        | {a + c + b[1:] for a, b in splits if b for c in FUZZY_ALPHABET}
        | {a + c + b for a, b in splits for c in FUZZY_ALPHABET}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {c + rest for c in INITIAL_CLUSTERS}
        | {rest}
    ) - {word, ""}


def fuzzy_alternatives(index: SearchIndex, syllables: list[str]) -> dict[str, tuple[str, ...]]:
    """For each syllable, its folded form then the indexed forms one edit away."""
    result: dict[str, tuple[str, ...]] = {}
    for syllable in dict.fromkeys(syllables):
        typed = fold(syllable)
        if not 2 <= len(typed) <= MAX_NEAR_LENGTH:
            result[syllable] = (typed,)
            continue
        freqs = index.engine.doc_freqs(FOLD, sorted(edits1(typed)))
        near = sorted((t for t, df in freqs.items() if df > 0), key=lambda t: (-freqs[t], t))
        result[syllable] = (typed, *near[:MAX_ALTERNATIVES])
    return result


def search(
    index: SearchIndex,
    text: str,
    *,
    limit: int = 10,
    offset: int = 0,
    year: int | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    sort: str = "relevance",
    issue: str | None = None,
) -> SearchResults:
    """Search the archive's index (``issue``: within one issue only); ``offset`` hits are
    skipped, for pages of results. Raises QueryError for a query that cannot run."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r} (choose from {', '.join(SORTS)})")
    if not 1 <= limit <= MAX_LIMIT or not 0 <= offset <= MAX_LIMIT - limit:
        raise QueryError(f"limit and offset must stay within the first {MAX_LIMIT} hits")
    parsed = parse(text)
    year = parsed.year or year
    low = bound_key(date_from, upper=False) if date_from else None
    high = bound_key(date_to, upper=True) if date_to else None
    if year:
        low = max(low or 0, year * 10000)
        high = min(high or 99999999, year * 10000 + 1299)
    by_date = sort == "date"
    wanted = offset + limit
    pool = wanted if by_date else max(MIN_POOL, wanted * 3)
    scope = Scope(low, high, issue)

    total, candidates = index.engine.search(build_query(parsed, {}, scope), pool, by_date)
    strict_keys = {(c.doc.issue, c.doc.page) for c in candidates}
    alternatives: dict[str, tuple[str, ...]] = {}
    if _finds_little(parsed, candidates, total, wanted):
        alternatives = fuzzy_alternatives(index, parsed.all_syllables)
        if any(len(a) > 1 for a in alternatives.values()):
            _, more = index.engine.search(build_query(parsed, alternatives, scope), pool, by_date)
            candidates += [c for c in more if (c.doc.issue, c.doc.page) not in strict_keys]
    accepted = {s: frozenset(alternatives.get(s, (fold(s),))) for s in parsed.all_syllables}
    rank_query = RankQuery(
        parsed.plain_run, tuple(accepted[s] for s in parsed.plain_run), frozenset(parsed.all_syllables)
    )
    scored = _rank(rank_query, candidates, strict_keys, by_date)
    near_total = sum(1 for _, c in scored if (c.doc.issue, c.doc.page) not in strict_keys)
    typed = [frozenset((fold(s),)) for s in parsed.all_syllables]
    hits = []
    for found, candidate in scored[offset:wanted]:
        exact = (candidate.doc.issue, candidate.doc.page) in strict_keys
        snippet = make_snippet(candidate.doc.text, typed if exact else list(accepted.values()))
        hits.append(Hit(
            issue=candidate.doc.issue, number=candidate.doc.number, date=candidate.doc.date,
            page=candidate.doc.page, score=found.score, snippet=snippet.text,
            highlights=snippet.highlights, near=not exact,
        ))
    near = any(h.near for h in hits)
    forms = frozenset().union(*accepted.values()) if near else frozenset().union(*typed)
    return SearchResults(parsed.text, total + near_total, hits, fuzzy=near, forms=forms)


def _rank(
    query: RankQuery, candidates: list[Candidate], strict_keys: set[tuple[str, int]], by_date: bool
) -> list[tuple[Features, Candidate]]:
    scored = [(features(query, c, (c.doc.issue, c.doc.page) in strict_keys), c) for c in candidates]
    if len(query.run) > 1:
        # A near match counts only where it completes the typed phrase; a misread word
        # scattered over a page is noise.
        scored = [fc for fc in scored if fc[0].strict or fc[0].phrase]
    if by_date:
        scored.sort(key=lambda fc: (fc[1].doc.date_key, fc[0].key()), reverse=True)
    else:
        scored.sort(key=lambda fc: fc[0].key(), reverse=True)
    return scored


def _finds_little(parsed: ParsedQuery, candidates: list[Candidate], total: int, limit: int) -> bool:
    """Exact terms found fewer pages than asked for, or none where the words stand together.
    A query with OR names its alternatives itself: no near matches for it."""
    if any(len(r.options) > 1 for r in parsed.required):
        return False
    if total < limit:
        return True
    run = parsed.plain_run
    if len(run) < 2:
        return False
    phrase = " ".join(fold(s) for s in run)
    return not any(f" {phrase} " in f" {c.doc.fold} " for c in candidates[:10])


__all__ = ["Hit", "QueryError", "SearchResults", "search"]
