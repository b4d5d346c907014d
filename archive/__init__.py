"""The archive: plain files on disk with checksums, the source of truth.

Layout and format are documented in the README ("Archive format").
"""

from archive.errors import ArchiveError, BantinError, ExitCode, IssueNotFound
from archive.format import FORMAT_VERSION, VISIBILITIES, IssueRecord, PageRecord
from archive.store import Archive, Problem, StagedIssue

__all__ = [
    "FORMAT_VERSION",
    "VISIBILITIES",
    "Archive",
    "ArchiveError",
    "BantinError",
    "ExitCode",
    "IssueNotFound",
    "IssueRecord",
    "PageRecord",
    "Problem",
    "StagedIssue",
]
