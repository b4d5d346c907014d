"""Analysis of a page: canonical syllables and underthesea word segmentation.

Done once per page and stored in the archive (``pages/NNNN.analysis.json``) so a
reindex never re-runs word segmentation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from archive import IssueRecord
from index.articles import Article
from index.engine import PageDoc
from index.schema import date_key
from vntext import fold, segment_words, syllables

ANALYZER_VERSION = 1


@dataclass(frozen=True)
class PageAnalysis:
    tokens: list[str]  # canonical syllables, in order
    words: list[tuple[int, int]]  # multi-syllable words: (first token, syllable count)
    version: int = ANALYZER_VERSION

    @property
    def exact_text(self) -> str:
        """The ``exact`` field: canonical syllables separated by spaces (one position each)."""
        return " ".join(self.tokens)

    @property
    def words_text(self) -> str:
        """The ``words`` field: every word, compounds joined by "_" ("sinh_hoạt chi_bộ là")."""
        out: list[str] = []
        starts = {start: length for start, length in self.words}
        i = 0
        while i < len(self.tokens):
            length = starts.get(i, 1)
            out.append("_".join(self.tokens[i : i + length]))
            i += length
        return " ".join(out)

    def to_json(self) -> str:
        return json.dumps(
            {"analyzer_version": self.version, "tokens": self.tokens, "words": self.words},
            ensure_ascii=False, separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, data: str) -> PageAnalysis:
        raw = json.loads(data)
        return cls(
            tokens=raw["tokens"], words=[(int(a), int(b)) for a, b in raw["words"]],
            version=raw.get("analyzer_version", 0),
        )


def analyze(text: str) -> PageAnalysis:
    tokens = [tok for tok, _, _ in syllables(text)]
    return PageAnalysis(tokens=tokens, words=segment_words(text, tokens), version=ANALYZER_VERSION)


def page_doc(record: IssueRecord, n: int, text: str, analysis: PageAnalysis) -> PageDoc:
    """The finished document for one page: every field the engines index, filled here."""
    exact, words = analysis.exact_text, analysis.words_text
    return PageDoc(
        issue=record.id, page=n, number=record.number, date=record.date,
        date_key=date_key(record.date), text=text, exact=exact, fold=fold(exact),
        words=words, wfold=fold(words),
    )


MAX_COMPOUND = 4  # syllables in the longest compound looked up


def compounds_of(analyses: list[PageAnalysis]) -> frozenset[tuple[str, ...]]:
    """Every multi-syllable word underthesea found on an issue's pages."""
    return frozenset(tuple(a.tokens[s : s + n]) for a in analyses for s, n in a.words)


def analyze_with(text: str, compounds: frozenset[tuple[str, ...]]) -> PageAnalysis:
    """The analysis of a part of an issue (an article) from the words its pages' analysis
    found: longest compound first, so a reindex never runs word segmentation again."""
    tokens = [tok for tok, _, _ in syllables(text)]
    words: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        for n in range(MAX_COMPOUND, 1, -1):
            if tuple(tokens[i : i + n]) in compounds:
                words.append((i, n))
                i += n
                break
        else:
            i += 1
    return PageAnalysis(tokens=tokens, words=words, version=ANALYZER_VERSION)


def article_doc(record: IssueRecord, article: Article, analysis: PageAnalysis) -> PageDoc:
    """An article's document: title and body in the indexed fields, the title apart too
    (``tfold``), the body as display text."""
    title = fold(" ".join(tok for tok, _, _ in syllables(article.title)))
    exact, words = analysis.exact_text, analysis.words_text
    return PageDoc(
        issue=record.id, page=article.pages[0] if article.pages else article.start[0], number=record.number,
        date=record.date, date_key=date_key(record.date), text=article.text, exact=exact, fold=fold(exact),
        words=words, wfold=fold(words), article=article.id, title=article.title, tfold=title,
        pages=" ".join(map(str, article.pages)), parts=" ".join(f"{at}:{n}" for at, n in article.parts),
    )
