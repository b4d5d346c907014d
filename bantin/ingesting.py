"""Ingest with the search index kept up to date: the pipeline's hooks filled from the
index's ``IngestIndexer``. It lives here, above both, because neither package may import
the other."""

from __future__ import annotations

from index import IngestIndexer
from pipeline import IngestHooks
from pipeline.ingest import ProgressFn


def index_hooks(indexer: IngestIndexer | None, progress: ProgressFn | None = None) -> IngestHooks:
    """Hooks that analyse pages in the workers and index issues as they land (committed
    at the end of the batch), or that only archive when ``indexer`` is None."""
    if indexer is None:
        return IngestHooks(progress=progress)
    return IngestHooks(indexer.before_commit, indexer.after_commit, progress, indexer.page_derived,
                       indexer.close)
