"""The design card's engine: Whoosh (whoosh-reloaded), pure Python. Same analysed tokens,
same queries as tantivy; slower at scale (see bench/)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from index.engine import (
    EXACT,
    FOLD,
    PAIRS_EXACT,
    PAIRS_FOLD,
    TITLE_FOLD,
    WORDS,
    WORDS_FOLD,
    Candidate,
    EnginePhrase,
    EngineQuery,
    PageDoc,
    expand,
    pairs,
)


def _schema() -> Schema:
    tokens = SpaceSeparatedTokenizer()
    return Schema(
        issue=ID(stored=True),
        page=NUMERIC(stored=True),
        number=NUMERIC(stored=True),
        date=ID(stored=True),
        date_key=NUMERIC(stored=True, sortable=True),
        text=STORED(),
        **{
            EXACT: TEXT(analyzer=tokens, phrase=True, stored=True),
            FOLD: TEXT(analyzer=tokens, phrase=True, stored=True),
            WORDS: TEXT(analyzer=tokens, phrase=True, stored=True),
            WORDS_FOLD: TEXT(analyzer=tokens, phrase=True, stored=True),
            TITLE_FOLD: TEXT(analyzer=tokens, phrase=True, stored=True),
            PAIRS_FOLD: TEXT(analyzer=tokens, phrase=False),
            PAIRS_EXACT: TEXT(analyzer=tokens, phrase=False),
        },
        article=NUMERIC(stored=True),
        title=STORED(),
        pages=STORED(),
        parts=STORED(),
    )


class WhooshEngine:
    name = "whoosh"

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        if whoosh_index.exists_in(str(folder)):
            self.index = whoosh_index.open_dir(str(folder))
        else:
            self.index = whoosh_index.create_in(str(folder), _schema())
        self._writer: Any = None
        # Opening a Whoosh searcher reads the index's table of contents and segments: one
        # per thread is kept and reused until the index changes.
        self._local = threading.local()
        self._generation = self._current()

    def _current(self) -> tuple[int, int]:
        """Which index (a rebuild makes a new one) at which commit."""
        return id(self.index), int(self.index.latest_generation())

    def _searcher(self) -> Any:
        local = self._local
        if getattr(local, "generation", None) != self._generation:
            if getattr(local, "searcher", None) is not None:
                local.searcher.close()
            local.searcher = self.index.searcher()
            local.generation = self._generation
        return local.searcher

    @property
    def writer(self) -> Any:
        if self._writer is None:
            self._writer = self.index.writer(limitmb=256)
        return self._writer

    def add(self, docs: Iterable[PageDoc]) -> int:
        added = 0
        for doc in docs:
            fields: dict[str, Any] = {
                "issue": doc.issue, "page": doc.page, "date_key": doc.date_key, "text": doc.text,
                EXACT: doc.exact, FOLD: doc.fold, WORDS: doc.words, WORDS_FOLD: doc.wfold,
                "article": doc.article, "title": doc.title, TITLE_FOLD: doc.tfold, "pages": doc.pages,
                "parts": doc.parts, PAIRS_FOLD: pairs(doc.fold), PAIRS_EXACT: pairs(doc.exact),
            }
            if doc.number is not None:
                fields["number"] = doc.number
            if doc.date is not None:
                fields["date"] = doc.date
            self.writer.add_document(**fields)
            added += 1
        return added

    def delete_issue(self, issue: str) -> None:
        self.writer.delete_by_term("issue", issue)

    def clear(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
        self.index = whoosh_index.create_in(str(self.folder), _schema())
        self.refresh()

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit()
            self._writer = None
        self.refresh()

    def refresh(self) -> None:
        self._generation = self._current()

    def count(self) -> int:
        return int(self.index.doc_count())

    def issues(self) -> set[str]:
        return set(self.issue_pages())

    def issue_pages(self) -> dict[str, int]:
        """Documents per issue, live ones only (the lexicon may keep a deleted issue's term)."""
        searcher = self._searcher()
        counted = {
            issue: len(searcher.search(wq.Term("issue", issue), limit=None))
            for issue in (t.decode("utf-8") for t in searcher.lexicon("issue"))
        }
        return {issue: pages for issue, pages in counted.items() if pages}

    def doc_freqs(self, field_name: str, terms: Iterable[str]) -> dict[str, int]:
        searcher = self._searcher()
        return {term: int(searcher.doc_frequency(field_name, term)) for term in terms}

    def phrase_freq(self, field_name: str, phrase: tuple[str, ...]) -> int:
        return len(self._searcher().search(wq.Phrase(field_name, list(phrase)), limit=None))

    def _phrase(self, field_name: str, phrase: EnginePhrase) -> wq.Query:
        options = [
            wq.Term(field_name, words[0]) if len(words) == 1 else wq.Phrase(field_name, list(words))
            for words in expand(phrase)
        ]
        return options[0] if len(options) == 1 else wq.Or(options)

    def _query(self, query: EngineQuery) -> wq.Query:
        must: list[wq.Query] = [
            wq.Or([wq.And([self._phrase(query.field, p) for p in option]) for option in group])
            for group in query.must
        ]
        if query.issue is not None:
            must.append(wq.Term("issue", query.issue))
        if query.date_from is not None or query.date_to is not None:
            must.append(wq.NumericRange("date_key", query.date_from or 1, query.date_to))
        required: wq.Query = wq.And(must)
        left_out = [self._phrase(query.field, p) for p in query.must_not]
        left_out += [wq.Term("issue", issue) for issue in sorted(query.hidden)]
        if left_out:  # And(Not): AndNot let left-out documents through (whoosh-reloaded 2.7)
            required = wq.And([required, wq.Not(wq.Or(left_out))])
        if not query.boosts:
            return required
        boosts = [self._phrase(b.field, b.phrase).with_boost(b.weight) for b in query.boosts]
        return wq.AndMaybe(required, wq.Or(boosts))

    def search(self, query: EngineQuery, limit: int, by_date: bool = False) -> tuple[int, list[Candidate]]:
        searcher = self._searcher()
        if by_date:
            results = searcher.search(self._query(query), limit=limit, sortedby="date_key", reverse=True)
        else:
            results = searcher.search(self._query(query), limit=limit)
        candidates = [
            Candidate(
                PageDoc(
                    issue=hit["issue"], page=int(hit["page"]), number=hit.get("number"),
                    date=hit.get("date"), date_key=int(hit.get("date_key") or 0),
                    text=hit["text"], exact=hit[EXACT], words=hit[WORDS], fold=hit[FOLD],
                    wfold=hit[WORDS_FOLD], article=int(hit.get("article") or 0), title=hit.get("title", ""),
                    tfold=hit.get(TITLE_FOLD, ""), pages=hit.get("pages", ""), parts=hit.get("parts", ""),
                ),
                float(hit.score or 0.0) if not by_date else 0.0,
            )
            for hit in results
        ]
        return len(results), candidates
