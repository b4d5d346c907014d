"""The search index: Vietnamese analysis, engines (tantivy, Whoosh), ranking, snippets.

Derived from the archive and rebuildable from it alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archive import Archive, IssueRecord, StagedIssue
from index.manager import Notify, ProgressFn, SearchIndex, analyze_staged
from index.query import QueryError
from index.search import Hit, SearchResults
from index.search import search as _search


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
    notify: Notify | None = None,
) -> int:
    """Rebuild the index from the archive files; returns pages indexed."""
    return open_index(archive_root, engine, notify).rebuild(progress)


class IngestIndexer:
    """Hooks for ``pipeline.ingest``: analyse each page before the issue lands, index the
    issue once it has landed. The index is opened on first use."""

    def __init__(self, archive_root: Path, engine: str | None = None, notify: Notify | None = None) -> None:
        self.archive_root = archive_root
        self.engine = engine
        self.notify = notify
        self._index: SearchIndex | None = None

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
        self._index.add_issue(record)


__all__ = [
    "Hit",
    "IngestIndexer",
    "QueryError",
    "SearchIndex",
    "SearchResults",
    "open_index",
    "reindex",
    "search",
]
