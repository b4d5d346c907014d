"""The engine interface: what every search engine behind bantin must do.

Engines know nothing of Vietnamese: they receive documents that are already analysed
(space-separated tokens, one position each) and engine-neutral queries; ranking
refinements and snippets are done above them, identically for every engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

# Indexed fields (see index.schema for what each holds).
EXACT = "exact"
FOLD = "fold"
WORDS = "words"
WORDS_FOLD = "wfold"
TITLE_FOLD = "tfold"  # an article's title, folded
PAIRS_FOLD = "pfold"  # neighbouring folded syllables, "sinh_hoat hoat_chi chi_bo" (not stored)
PAIRS_EXACT = "pexact"  # neighbouring syllables as written, "sinh_hoạt hoạt_chi chi_bộ" (not stored)

def pairs(tokens_text: str) -> str:
    """A document's neighbouring syllables (folded or not) as terms: a phrase of n syllables holds
    its n - 1 pairs, which an engine finds from its term lists, without the positions a
    phrase query reads for every document holding all of its words (at 400,000 articles,
    most of a query's time)."""
    tokens = tokens_text.split()
    return " ".join(f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False))


# One position of a phrase: the folded syllables accepted there (more than one after
# edit-distance expansion).
Position = tuple[str, ...]
EnginePhrase = tuple[Position, ...]


@dataclass(frozen=True)
class PageDoc:
    """One page as the index stores it: a finished document, every field filled by the
    index's analysis step (``index.analysis.page_doc``); engines only map the fields."""

    issue: str
    page: int
    number: int | None
    date: str | None
    date_key: int  # yyyymmdd, day 00 for month precision, 0 when unknown
    text: str  # display text (stored, not indexed)
    exact: str  # canonical syllables
    words: str  # canonical words, compounds joined by "_"
    # The folded fields; stored too, so ranking reads them instead of folding each candidate.
    fold: str
    wfold: str
    # An article (``article`` 1..) or what of a page belongs to no article (0).
    article: int = 0
    title: str = ""  # display title (stored)
    tfold: str = ""  # the title's folded syllables (indexed: title words weigh more)
    pages: str = ""  # an article's pages, space-separated (stored)
    parts: str = ""  # "offset:page ..." where each page's part of ``text`` begins (stored)

    @property
    def page_list(self) -> list[int]:
        return [int(n) for n in self.pages.split()] or [self.page]

    def page_at(self, offset: int) -> int:
        """The page the character at ``offset`` of ``text`` is printed on."""
        page = self.page
        for part in self.parts.split():
            at, n = part.split(":")
            if int(at) <= offset:
                page = int(n)
        return page


@dataclass(frozen=True)
class Boost:
    field: str
    phrase: EnginePhrase
    weight: float


@dataclass(frozen=True)
class EngineQuery:
    # Every group must match one of its options; an option is phrases that must all match
    # (fold field). Without OR a group has one option of one phrase.
    must: list[list[list[EnginePhrase]]]
    must_not: list[EnginePhrase] = field(default_factory=list)
    boosts: list[Boost] = field(default_factory=list)
    date_from: int | None = None  # inclusive date_key bounds
    date_to: int | None = None
    issue: str | None = None  # only the pages of this issue
    hidden: frozenset[str] = frozenset()  # issues left out (internal ones, for anonymous visitors)
    field: str = FOLD  # the field ``must`` and ``must_not`` are matched in


@dataclass(frozen=True)
class Candidate:
    doc: PageDoc
    score: float


class Engine(Protocol):
    name: str

    def add(self, docs: Iterable[PageDoc]) -> int: ...

    def delete_issue(self, issue: str) -> None: ...

    def clear(self) -> None: ...

    def commit(self) -> None: ...

    def refresh(self) -> None:
        """See what another process committed since this engine was opened."""

    def search(
        self, query: EngineQuery, limit: int, by_date: bool = False
    ) -> tuple[int, list[Candidate]]: ...

    def doc_freqs(self, field_name: str, terms: Iterable[str]) -> dict[str, int]: ...

    def phrase_freq(self, field_name: str, phrase: tuple[str, ...]) -> int:
        """Pages where the terms stand adjacent, in order."""

    def count(self) -> int: ...

    def issues(self) -> set[str]: ...

    def issue_pages(self) -> dict[str, int]:
        """Documents (articles and pages) indexed per issue."""


MAX_EXPANSIONS = 128  # plain phrases one phrase with alternatives may expand to


def expand(phrase: EnginePhrase) -> list[tuple[str, ...]]:
    """Plain phrases for a phrase with alternatives. The first alternative of a position is
    what was typed; a phrase takes at most one other alternative (one word misread), so the
    expansion grows with the alternatives, not their product."""
    typed = tuple(position[0] for position in phrase)
    combos = [typed]
    for i, position in enumerate(phrase):
        combos += [(*typed[:i], alt, *typed[i + 1 :]) for alt in position[1:]]
    return combos[:MAX_EXPANSIONS]
