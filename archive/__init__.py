"""The archive: plain files on disk with checksums, the source of truth.

Layout and format are documented in the README ("Archive format").
"""

from archive.format import FORMAT_VERSION, IssueRecord, PageRecord
from archive.store import Archive, ArchiveError, IssueNotFound, StagedIssue

__all__ = [
    "FORMAT_VERSION",
    "Archive",
    "ArchiveError",
    "IssueNotFound",
    "IssueRecord",
    "PageRecord",
    "StagedIssue",
]
