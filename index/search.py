"""Search over articles (and what of a page belongs to none): parse, ask the engine for
candidates, fall back to edit-distance-1 matches when
exact terms find little, re-rank, relax to pages holding most of the words when too few
hold them all (ranked below every page that does), cut snippets, suggest a spelling."""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.errors import _
from index.engine import (
    EXACT,
    FOLD,
    PAIRS_EXACT,
    PAIRS_FOLD,
    TITLE_FOLD,
    WORDS_FOLD,
    Boost,
    Candidate,
    EnginePhrase,
    EngineQuery,
)
from index.manager import SearchIndex
from index.near import FEW_ALTERNATIVES, MANY_PAGES, MAX_ALTERNATIVES, edits1, fuzzy_alternatives
from index.query import ParsedQuery, QueryError, parse
from index.ranking import Features, RankQuery, features
from index.relax import Relaxed, can_relax, relaxed_query, score, weights
from index.runs import aligned, positions, query_words, runs
from index.schema import bound_key
from index.snippets import Marks, Snippet, make_snippet, query_marks
from index.suggest import suggest
from vntext import canonical, fold, has_diacritics

SORTS = ("relevance", "date")
SUGGEST_CONTEXT = 10  # best pages whose wording the suggestion follows
MAX_LIMIT = 1000
# Candidates re-ranked for a relevance search. 30 and 50 gave the same first ten hits on
# 300 queries at 100,000 pages and the same quality figures on three seeds; each one
# costs a stored-document read and its features (about 0.13 ms).
MIN_POOL = 30
RELAX_ALWAYS = 3  # query syllables from which relaxed hits are looked for even beside complete ones
RELAXED_SHARE = 0.5  # of the query's weight a relaxed hit must hold


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
    relaxed: bool = False  # the page lacks some of the query's words
    matched: tuple[str, ...] = ()  # the query's words (as typed) the page holds
    missing: tuple[str, ...] = ()  # and those it lacks (relaxed hits only)
    article: ArticleRef | None = None  # the article found; None for a page hit

    def article_dict(self) -> dict[str, object] | None:
        if self.article is None:
            return None
        return {"id": self.article.id, "title": self.article.title, "pages": list(self.article.pages)}


@dataclass(frozen=True)
class ArticleRef:
    id: int
    title: str
    pages: tuple[int, ...]


@dataclass(frozen=True)
class SearchResults:
    query: str
    total: int  # articles and pages holding every word of the query
    hits: list[Hit] = field(default_factory=list)
    fuzzy: bool = False  # some hits are edit-distance-1 (near) matches
    relaxed: bool = False  # some hits lack words of the query (no page held them all)
    suggestion: str | None = None  # the query as the archive writes it ("Có phải bạn muốn tìm")
    marks: Marks = ()  # the query's words as marked in text and outlined on pages
    near_total: int = 0  # found through near (edit-distance-1) forms of the words
    relaxed_total: int = 0  # holding most of the query's weight and one whole word

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "total": self.total,
            "near_total": self.near_total,
            "relaxed_total": self.relaxed_total,
            "near": self.fuzzy,
            "relaxed": self.relaxed,
            "suggestion": self.suggestion,
            "hits": [
                {"issue": h.issue, "number": h.number, "date": h.date, "page": h.page,
                 "article": h.article_dict(), "score": h.score, "near": h.near, "relaxed": h.relaxed,
                 "matched": list(h.matched),
                 "snippet": h.snippet, "highlights": [list(span) for span in h.highlights]}
                for h in self.hits
            ],
        }


def _phrase(syllables: tuple[str, ...], alternatives: dict[str, tuple[str, ...]]) -> EnginePhrase:
    return tuple(alternatives.get(s, (fold(s),)) for s in syllables)


@dataclass(frozen=True)
class Scope:
    """Which pages a search looks at: inclusive date_key bounds, one issue, and not the
    hidden issues."""

    date_from: int | None = None
    date_to: int | None = None
    issue: str | None = None
    hidden: frozenset[str] = frozenset()  # issues the visitor may not see


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
    # exact diacritics can only be preferred when the query was typed with them
    marked = [s for s in dict.fromkeys(run) if has_diacritics(s)]
    if run:
        boosts.append(Boost(TITLE_FOLD, _phrase(run, alternatives), 6.0))
    if len(run) > 1 and alternatives:
        boosts.append(Boost(FOLD, _phrase(run, alternatives), 8.0))
    elif len(run) > 1:  # the phrase by its pairs: a page holding it whole holds them all
        boosts += [Boost(PAIRS_FOLD, ((fold(f"{a}_{b}"),),), 8.0 / (len(run) - 1))
                   for a, b in zip(run, run[1:], strict=False)]
    if len(run) > 1:
        if marked:  # the phrase as written, by its pairs too
            boosts += [Boost(PAIRS_EXACT, ((f"{a}_{b}",),), 4.0 / (len(run) - 1))
                       for a, b in zip(run, run[1:], strict=False)]
        boosts += [
            Boost(WORDS_FOLD, ((fold(f"{a}_{b}"),),), 1.0) for a, b in zip(run, run[1:], strict=False)
        ]
    boosts += [Boost(EXACT, ((s,),), 0.5) for s in marked]
    return EngineQuery(
        must=must,
        must_not=[_phrase(p.syllables, {}) for p in parsed.excluded],
        boosts=boosts,
        date_from=scope.date_from,
        date_to=scope.date_to,
        issue=scope.issue,
        hidden=scope.hidden,
    )


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
    hidden: frozenset[str] = frozenset(),
) -> SearchResults:
    """Search the archive's index (``issue``: within one issue only; ``hidden``: issues
    left out, as if they were not there); ``offset`` hits are skipped, for pages of
    results. Raises QueryError for a query that cannot run."""
    if sort not in SORTS:
        raise QueryError(_("unknown sort {sort!r} (choose from {items})")
            .format(sort=sort, items=', '.join(SORTS)))
    if not 1 <= limit <= MAX_LIMIT or not 0 <= offset <= MAX_LIMIT - limit:
        raise QueryError(_("limit and offset must stay within the first {limit} hits")
            .format(limit=MAX_LIMIT))
    parsed = parse(text, index.abbreviations)
    year = parsed.year or year
    low = bound_key(date_from, upper=False) if date_from else None
    high = bound_key(date_to, upper=True) if date_to else None
    if year:
        low = max(low or 0, year * 10000)
        high = min(high or 99999999, year * 10000 + 1299)
    by_date = sort == "date"
    wanted = offset + limit
    pool = wanted if by_date else max(MIN_POOL, wanted * 3)
    strict_query = build_query(parsed, {}, Scope(low, high, issue, hidden))

    total, candidates = index.engine.search(strict_query, pool, by_date)
    strict_keys = {_key(c) for c in candidates}
    alternatives: dict[str, tuple[str, ...]] = {}
    if _finds_little(parsed, candidates, total, wanted):
        most = FEW_ALTERNATIVES if total >= MANY_PAGES else MAX_ALTERNATIVES
        alternatives = fuzzy_alternatives(index.engine, parsed.all_syllables, most)
        if any(len(a) > 1 for a in alternatives.values()):
            near_query = build_query(parsed, alternatives, Scope(low, high, issue, hidden))
            _near_total, more = index.engine.search(near_query, pool, by_date)
            candidates += [c for c in more if _key(c) not in strict_keys]
    accepted = {s: frozenset(alternatives.get(s, (fold(s),))) for s in parsed.all_syllables}
    near_rank = RankQuery(
        parsed.plain_run, tuple(accepted[s] for s in parsed.plain_run), frozenset(parsed.all_syllables)
    )
    as_typed = tuple(frozenset({fold(s)}) for s in parsed.plain_run)
    typed_query = RankQuery(parsed.plain_run, as_typed, frozenset(parsed.all_syllables))
    scored = _rank(typed_query, near_rank, candidates, strict_keys, by_date)
    near_total = sum(1 for _, c in scored if _key(c) not in strict_keys)
    folded_run = tuple(fold(s) for s in parsed.plain_run)
    words = query_words(index.engine, folded_run)
    relaxed: list[Relaxed] = []
    # the phrase a cadre remembers may stand on a page that lacks the words typed around it
    # none can rank above complete hits that hold the whole typed run: the page needs none
    filled = len(scored) >= wanted and bool(scored) and scored[wanted - 1][0].phrase == 1
    if can_relax(parsed) and (len(scored) < wanted or (len(folded_run) >= RELAX_ALWAYS and not filled)):
        relaxed = [r for r in _relax(index, parsed, strict_query, pool, by_date, {_key(c) for _, c in scored})
                   if _worth_showing(r, words, folded_run)]
    order = _merge(scored, relaxed, parsed, tuple(accepted[s] for s in parsed.plain_run), words, by_date)
    everything = tuple(r.label for r in parsed.required)
    typed = query_marks(parsed, {}, words)
    near_marks = query_marks(parsed, accepted, words)
    hits = []
    for entry in order[offset:wanted]:
        if isinstance(entry, Relaxed):
            held = [parsed.required[i] for i in entry.matched]
            snippet = make_snippet(entry.candidate.doc.text, typed)
            hits.append(_hit(entry.candidate, round(entry.coverage, 4), snippet, relaxed=True,
                             matched=tuple(q.label for q in held),
                             missing=tuple(q.label for i, q in enumerate(parsed.required)
                                           if i not in entry.matched)))
        else:
            found, candidate = entry
            exact = _key(candidate) in strict_keys
            snippet = make_snippet(candidate.doc.text, typed if exact else near_marks)
            hits.append(_hit(candidate, found.score, snippet, near=not exact, matched=everything))
    near = any(h.near for h in hits)
    context = ([c.doc.exact for _, c in scored[:SUGGEST_CONTEXT]]
               + [r.candidate.doc.exact for r in relaxed[:SUGGEST_CONTEXT]])
    suggestion = suggest(index.engine, parsed, context, index.trusted())
    if suggestion and hidden and not _visible(index, suggestion, parsed, hidden, context):
        suggestion = None
    return SearchResults(
        parsed.text, total, hits, fuzzy=near, near_total=near_total, relaxed_total=len(relaxed),
        relaxed=any(h.relaxed for h in hits), marks=near_marks if near else typed, suggestion=suggestion,
    )


def _visible(index: SearchIndex, suggestion: str, parsed: ParsedQuery, hidden: frozenset[str],
             context: list[str]) -> bool:
    """The suggestion's new words stand together on a page the visitor may see: the
    vocabulary it is drawn from spans the whole index, and a word that only an internal
    issue holds must not leave through it. Words the search's own hits hold (the
    visitor's pages already) need no look."""
    typed = {canonical(w).lower() for w in parsed.text.split()}
    seen = {w for text in context for w in text.split()}
    new = [w.lower() for w in suggestion.split() if w.lower() not in typed]
    if all(w in seen for w in new):
        return True
    query = EngineQuery(must=[[[((w,),)]] for w in dict.fromkeys(new)], hidden=hidden, field=EXACT)
    total, _ = index.engine.search(query, 1)
    return total > 0


def _worth_showing(found: Relaxed, words: list[tuple[int, int]], folded_run: tuple[str, ...]) -> bool:
    """A relaxed hit holds one whole query word at least (a page holding "học" alone is no
    near match for "khuyến học"), and either a run of the query's syllables standing
    together (the phrase remembered among words of one's own) or most of its weight."""
    if not folded_run:
        return found.coverage >= RELAXED_SHARE
    text = f" {found.candidate.doc.fold} "
    if not any(f" {' '.join(folded_run[i : i + n])} " in text for i, n in words):
        return False
    together = any(f" {a} {b} " in text for a, b in zip(folded_run, folded_run[1:], strict=False))
    return together or found.coverage >= RELAXED_SHARE or (
        len(folded_run) == 2 and _one_off_pair(text.split(), folded_run))


def _one_off_pair(tokens: list[str], folded_run: tuple[str, ...]) -> bool:
    """Two neighbouring query syllables stand together, one of them a letter off ("cb cc"
    for "cu cc"): a typing slip the near forms missed, for they keep only the most
    frequent of a short syllable's many neighbours. Asked of two-syllable queries only:
    in a longer one, such a pair is a small part of it, and pairs of the words typed
    around a phrase one letter off are everywhere."""
    for a, b in zip(folded_run, folded_run[1:], strict=False):
        near_a, near_b = edits1(a), edits1(b)
        if any((x == a and y in near_b) or (y == b and x in near_a)
               for x, y in zip(tokens, tokens[1:], strict=False)):
            return True
    return False


def _merge(scored: list[tuple[Features, Candidate]], relaxed: list[Relaxed], parsed: ParsedQuery,
           accepted: tuple[frozenset[str], ...], words: list[tuple[int, int]],
           by_date: bool) -> list[tuple[Features, Candidate] | Relaxed]:
    """Every hit in one order: by the longest run of the query's words it holds together
    (as typed, in order), then those holding every word before those holding most, each in
    its own order (which weighs rare words and rare pairs more). Runs are cut to the
    query's words: a rare accidental pair across two words ("phải cập" of "gặp phải" and
    "cập nhật") ranked first when rarity came before length."""
    if by_date or not relaxed:
        return [*scored, *relaxed]
    expansions = [(" ".join(fold(x) for p in short for x in p.syllables),
                   " ".join(fold(x) for p in full for x in p.syllables))
                  for r in parsed.required if r.expanded
                  for short in r.options for full in r.options
                  if sum(len(p.syllables) for p in short) == 1 < sum(len(p.syllables) for p in full)]

    typed = tuple(frozenset({fold(s)}) for s in parsed.plain_run)

    def longest(candidate: Candidate, forms: tuple[frozenset[str], ...]) -> int:
        text = f" {candidate.doc.fold} "
        for short, full in expansions:  # "UBND huyện" stands for "ủy ban nhân dân huyện"
            text = text.replace(f" {short} ", f" {full} ")
        found = aligned(runs(positions(text, forms)), words)
        return max((n for _, n in found), default=0)

    # Runs are of the words as typed, but where near forms complete the phrase: near forms
    # of the words a relaxed hit lacks ("không thể" for "thong tha") would put a page
    # holding neither above one holding both.
    keyed: list[tuple[tuple[float, int, int], tuple[Features, Candidate] | Relaxed]] = [
        ((-longest(c, accepted if f.phrase else typed), 0, k), (f, c)) for k, (f, c) in enumerate(scored)]
    keyed += [((-longest(r.candidate, typed), 1, k), r) for k, r in enumerate(relaxed)]
    return [entry for _, entry in sorted(keyed, key=lambda e: e[0])]


def _key(candidate: Candidate) -> tuple[str, int, int]:
    """An article, or the rest of a page, is one hit."""
    doc = candidate.doc
    return doc.issue, doc.article or doc.page, int(doc.article > 0)


def _hit(candidate: Candidate, score: float, snippet: Snippet, *, near: bool = False, relaxed: bool = False,
         matched: tuple[str, ...] = (), missing: tuple[str, ...] = ()) -> Hit:
    doc = candidate.doc
    first = snippet.start + min((s for s, _ in snippet.highlights), default=0) - (1 if snippet.start else 0)
    article = ArticleRef(doc.article, doc.title, tuple(doc.page_list)) if doc.article else None
    return Hit(issue=doc.issue, number=doc.number, date=doc.date, page=doc.page_at(max(first, 0)),
               score=score,
               snippet=snippet.text, highlights=snippet.highlights, near=near, relaxed=relaxed,
               matched=matched, missing=missing, article=article)


def _relax(
    index: SearchIndex, parsed: ParsedQuery, strict: EngineQuery, pool: int, by_date: bool,
    seen: set[tuple[str, int, int]],
) -> list[Relaxed]:
    """Pages holding most of the query's words, best first; never one already found."""
    weight = weights(index.engine, parsed)
    _, candidates = index.engine.search(relaxed_query(parsed, strict, weight), pool, by_date)
    scored = [score(parsed, weight, c) for c in candidates if _key(c) not in seen]
    if by_date:
        scored.sort(key=lambda r: (r.candidate.doc.date_key, r.key()), reverse=True)
    else:
        scored.sort(key=Relaxed.key, reverse=True)
    return scored


def _rank(
    typed: RankQuery, near: RankQuery, candidates: list[Candidate], strict_keys: set[tuple[str, int, int]],
    by_date: bool,
) -> list[tuple[Features, Candidate]]:
    """Near forms count only where they complete the typed phrase: a candidate holding every
    word as typed is measured by those words alone unless near forms make the phrase on it
    (scattered near forms say nothing of it), a near candidate by the near forms."""
    scored = []
    has_near = near != typed
    for c in candidates:
        if _key(c) not in strict_keys:
            scored.append((features(near, c, False), c))
            continue
        found = features(typed, c, True)
        if not found.phrase and has_near:
            completed = features(near, c, True)
            found = completed if completed.phrase else found
        scored.append((found, c))
    if len(typed.run) > 1:
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
    A query with OR (or an abbreviation) names its alternatives itself: no near matches."""
    if any(len(r.options) > 1 for r in parsed.required):
        return False
    if total < limit:
        return True
    run = parsed.plain_run
    if len(run) < 2:
        return False
    phrase = " ".join(fold(s) for s in run)
    return not any(f" {phrase} " in f" {c.doc.fold} " for c in candidates[:10])


__all__ = ["ArticleRef", "Hit", "QueryError", "SearchResults", "search"]
