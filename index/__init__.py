"""The search index: Vietnamese analysis, engines (tantivy, Whoosh), ranking, snippets.

Derived from the archive and rebuildable from it alone.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from archive import Archive, IssueRecord, StagedIssue
from index.articles import Article, IssueArticles, load_articles
from index.manager import Notify, ProgressFn, SearchIndex, analyze_staged, index_lock, page_analysis
from index.query import QueryError
from index.search import Hit, SearchResults
from index.search import search as _search
from index.trusted import TEXT_LAYER, update_trusted

COMMIT_EVERY_S = 2.0  # an ingest commits the index at least this often


def open_index(archive_root: Path, engine: str | None = None, notify: Notify | None = None) -> SearchIndex:
    return SearchIndex.open(Archive.open(archive_root), engine, notify)


def search(target: Path | SearchIndex, query: str, **options: Any) -> SearchResults:
    """Search an archive (its folder, or an open SearchIndex). Options: limit, offset,
    year, date_from, date_to, sort ("relevance" or "date"), issue (within one issue);
    ``engine`` only with a folder."""
    engine = options.pop("engine", None)
    index = target if isinstance(target, SearchIndex) else open_index(target, engine)
    return _search(index, query, **options)


def reindex(
    archive_root: Path, engine: str | None = None, progress: ProgressFn | None = None,
    notify: Notify | None = None, resegment: bool = False,
) -> int:
    """Rebuild the index from the archive files; returns documents indexed (articles, and
    pages for text outside them). ``resegment``: divide every issue into articles again."""
    return open_index(archive_root, engine, notify).rebuild(progress, resegment)


class IngestIndexer:
    """Hooks for ``pipeline.ingest``: analyse each page (in the page workers) before the
    issue lands, index the issue once it has landed. The index is opened on first use;
    from the first issue indexed the ingest holds the index lock, and commits every
    ``COMMIT_EVERY_S`` seconds and at ``close`` (searches see new issues that late; a
    crash before a commit leaves issues the next ingest or search catches up)."""

    def __init__(self, archive_root: Path, engine: str | None = None, notify: Notify | None = None) -> None:
        self.archive_root = archive_root
        self.engine = engine
        self.notify = notify
        self._index: SearchIndex | None = None
        self._held = ExitStack()  # the index lock, while issues are indexed uncommitted
        self._committed = 0.0
        self._pending = False
        self._trusted: list[str] = []  # born-digital pages indexed, not yet counted as trusted text

    page_derived = staticmethod(page_analysis)  # run in the page workers

    def before_commit(self, staged: StagedIssue, record: IssueRecord) -> None:
        analyze_staged(staged, record)
        if self._index is None:
            # Opened before the batch's first issue lands: an index is built only from
            # issues already there, and issues a crash left unindexed are caught up.
            self._index = SearchIndex.open(Archive.open(self.archive_root), self.engine, self.notify)
            for missing in self._index.missing_issues():
                self._index.add_issue(self._index.archive.load_issue(missing))

    def after_commit(self, archive: Archive, record: IssueRecord) -> None:
        if self._index is None:
            self._index = SearchIndex.open(archive, self.engine, self.notify)
        if not self._pending:
            self._held.enter_context(index_lock(archive))
            self._committed = self._committed or time.monotonic()
        self._index.put_issue(record)
        self._pending = True
        self._trusted += [archive.page_text(record.id, p.n) for p in record.pages if p.method == TEXT_LAYER]
        if time.monotonic() - self._committed >= COMMIT_EVERY_S:
            self.close()

    def close(self) -> None:
        """Commit what is indexed and let other index writers in."""
        if self._pending and self._index is not None:
            self._index.engine.commit()
            update_trusted(self._index.archive, self._trusted)
            self._trusted = []
            self._committed = time.monotonic()
        self._pending = False
        self._held.close()


__all__ = [
    "Article",
    "IssueArticles",
    "load_articles",
    "Hit",
    "IngestIndexer",
    "QueryError",
    "SearchIndex",
    "SearchResults",
    "open_index",
    "reindex",
    "search",
]
