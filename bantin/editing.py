"""Correct an issue's metadata with the search index kept in step: one function for the
CLI's ``bantin edit`` and the web API, above archive and index as ``ingesting`` is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archive import Archive, ArchiveError, IssueRecord
from archive.format import valid_date
from index import open_index
from index.manager import Notify


def edit_issue(archive_root: Path, issue_id: str, changes: dict[str, Any], note: str | None = None,
               *, wait: bool = False, notify: Notify | None = None) -> IssueRecord:
    """Apply ``changes`` (number, date, title, visibility) to an issue (an id or a unique
    prefix), keeping each in its history, and re-index it. Raises ArchiveError for a
    value the archive does not take."""
    if changes.get("date") is not None and not valid_date(changes["date"]):
        raise ArchiveError(f"{changes['date']!r} is not a real date (YYYY, YYYY-MM or YYYY-MM-DD)")
    archive = Archive.open(archive_root)
    with archive.writer_lock("edit", wait=wait):
        record = archive.edit(archive.resolve_id(issue_id), changes, note)
        open_index(archive_root, notify=notify).add_issue(record)
    return record
