"""The default engine: tantivy (Rust), through tantivy-py."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tantivy

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

TOKENIZER = "bantin_ws"  # tokens arrive analysed: split on spaces, nothing else
HEAP_BYTES = 128 * 1024 * 1024
_STORED = ("issue", "page", "number", "date", "date_key", "text", EXACT, WORDS, FOLD, WORDS_FOLD,
           "article", "title", TITLE_FOLD, "pages", "parts")


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("issue", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("page", stored=True)
    builder.add_integer_field("number", stored=True)
    builder.add_text_field("date", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("date_key", stored=True, indexed=True, fast=True)
    builder.add_bytes_field("text", stored=True)
    builder.add_text_field(EXACT, stored=True, tokenizer_name=TOKENIZER)
    builder.add_text_field(FOLD, stored=True, tokenizer_name=TOKENIZER)
    builder.add_text_field(WORDS, stored=True, tokenizer_name=TOKENIZER)
    builder.add_text_field(WORDS_FOLD, stored=True, tokenizer_name=TOKENIZER)
    builder.add_integer_field("article", stored=True)
    builder.add_text_field("title", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(TITLE_FOLD, stored=True, tokenizer_name=TOKENIZER)
    builder.add_text_field(PAIRS_FOLD, stored=False, tokenizer_name=TOKENIZER, index_option="freq")
    builder.add_text_field(PAIRS_EXACT, stored=False, tokenizer_name=TOKENIZER, index_option="freq")
    builder.add_text_field("pages", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("parts", stored=True, tokenizer_name="raw", index_option="basic")
    return builder.build()


class TantivyEngine:
    name = "tantivy"

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(folder), reuse=True)
        self.index.register_tokenizer(
            TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        )
        self._writer: tantivy.IndexWriter | None = None

    @property
    def writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=HEAP_BYTES, num_threads=1)
        return self._writer

    def add(self, docs: Iterable[PageDoc]) -> int:
        added = 0
        for doc in docs:
            fields: dict[str, object] = {
                "issue": doc.issue, "page": doc.page, "date_key": doc.date_key,
                "text": doc.text.encode("utf-8"), EXACT: doc.exact, FOLD: doc.fold,
                WORDS: doc.words, WORDS_FOLD: doc.wfold, "article": doc.article, "title": doc.title,
                TITLE_FOLD: doc.tfold, PAIRS_FOLD: pairs(doc.fold),
                PAIRS_EXACT: pairs(doc.exact), "pages": doc.pages, "parts": doc.parts,
            }
            if doc.number is not None:
                fields["number"] = doc.number
            if doc.date is not None:
                fields["date"] = doc.date
            self.writer.add_document(tantivy.Document(**fields))
            added += 1
        return added

    def delete_issue(self, issue: str) -> None:
        self.writer.delete_documents_by_term("issue", issue)

    def clear(self) -> None:
        self.writer.delete_all_documents()

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        self.index.reload()

    def refresh(self) -> None:
        self.index.reload()

    def count(self) -> int:
        return int(self.index.searcher().num_docs)

    def issues(self) -> set[str]:
        return set(self.issue_pages())

    def issue_pages(self) -> dict[str, int]:
        """Documents per issue. The term dictionary keeps a deleted issue's term until its
        segment is merged away, so each term's live documents are counted."""
        searcher = self.index.searcher()
        counted = {
            issue: int(getattr(searcher.search(
                tantivy.Query.term_query(self.schema, "issue", issue), 1, count=True), "count", 0) or 0)
            for issue, _ in searcher.terms_with_prefix("issue", "")
        }
        return {issue: pages for issue, pages in counted.items() if pages}

    def doc_freqs(self, field_name: str, terms: Iterable[str]) -> dict[str, int]:
        searcher = self.index.searcher()
        return {term: int(searcher.doc_freq(field_name, term)) for term in terms}

    def phrase_freq(self, field_name: str, phrase: tuple[str, ...]) -> int:
        query = tantivy.Query.phrase_query(self.schema, field_name, list(phrase))
        return int(getattr(self.index.searcher().search(query, 1, count=True), "count", 0) or 0)

    # -- queries --------------------------------------------------------------------------------

    def _phrase(self, field_name: str, phrase: EnginePhrase) -> tantivy.Query:
        options = []
        for words in expand(phrase):
            if len(words) == 1:
                options.append(tantivy.Query.term_query(self.schema, field_name, words[0]))
            else:
                options.append(tantivy.Query.phrase_query(self.schema, field_name, list(words)))
        return self._any(options)

    @staticmethod
    def _any(queries: list[tantivy.Query]) -> tantivy.Query:
        if len(queries) == 1:
            return queries[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])

    def _all(self, field_name: str, phrases: list[EnginePhrase]) -> tantivy.Query:
        if len(phrases) == 1:
            return self._phrase(field_name, phrases[0])
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, self._phrase(field_name, p)) for p in phrases]
        )

    def _query(self, query: EngineQuery) -> tantivy.Query:
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for group in query.must:
            options = [self._all(query.field, option) for option in group]
            clauses.append((tantivy.Occur.Must, self._any(options)))
        clauses += [(tantivy.Occur.MustNot, self._phrase(query.field, p)) for p in query.must_not]
        if query.hidden:  # one set query: an archive may hold thousands of internal issues
            clauses.append((tantivy.Occur.MustNot,
                            tantivy.Query.term_set_query(self.schema, "issue", sorted(query.hidden))))
        clauses += [
            (tantivy.Occur.Should, tantivy.Query.boost_query(self._phrase(b.field, b.phrase), b.weight))
            for b in query.boosts
        ]
        if query.issue is not None:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "issue", query.issue)))
        if query.date_from is not None or query.date_to is not None:
            clauses.append((tantivy.Occur.Must, tantivy.Query.range_query(
                self.schema, "date_key", tantivy.FieldType.Integer,
                query.date_from if query.date_from is not None else 1, query.date_to,
            )))
        return tantivy.Query.boolean_query(clauses)

    def search(self, query: EngineQuery, limit: int, by_date: bool = False) -> tuple[int, list[Candidate]]:
        searcher = self.index.searcher()
        if by_date:
            result = searcher.search(self._query(query), limit, count=True, order_by_field="date_key")
        else:
            result = searcher.search(self._query(query), limit, count=True)
        candidates = []
        for score, address in result.hits:
            stored = searcher.doc(address)
            candidates.append(Candidate(_page_doc(stored), float(score) if not by_date else 0.0))
        count = getattr(result, "count", None)  # missing from tantivy's type stubs
        return int(count or 0), candidates


def _page_doc(stored: tantivy.Document) -> PageDoc:
    values: dict[str, Any] = {name: stored.get_first(name) for name in _STORED}
    return PageDoc(
        issue=str(values["issue"]), page=int(values["page"]),
        number=int(values["number"]) if values["number"] is not None else None,
        date=values["date"], date_key=int(values["date_key"] or 0),
        text=bytes(values["text"]).decode("utf-8"), exact=str(values[EXACT]),
        words=str(values[WORDS]), fold=str(values[FOLD]), wfold=str(values[WORDS_FOLD]),
        article=int(values["article"] or 0), title=str(values["title"] or ""),
        tfold=str(values[TITLE_FOLD] or ""), pages=str(values["pages"] or ""),
        parts=str(values["parts"] or ""),
    )

