"""BagIt (RFC 8493) export of an archive or some of its issues, with the ``bagit``
library: the issue folders as they are (same ids, files, ``issue.json``) under
``data/issues/``, sha256 and sha512 manifests, bag-info with the archive's metadata,
validated after writing. ``bantin ingest BAG`` lands them back unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bagit

from archive.errors import ArchiveError, _
from archive.format import FORMAT_VERSION
from archive.store import ARCHIVE_FILE, ISSUE_FILE, Archive

ALGORITHMS = ["sha256", "sha512"]


def export_bag(archive: Archive, out: Path, issue_ids: list[str] | None = None) -> int:
    """Write a bag of the given issues (default: all) at ``out``; returns issues exported."""
    if out.exists() and any(out.iterdir()):
        raise ArchiveError(_("{out}: exists and is not empty; choose a new folder for the bag")
            .format(out=out))
    ids = issue_ids or archive.issue_ids()
    records = [archive.load_issue(i) for i in ids]
    out.mkdir(parents=True, exist_ok=True)
    try:
        (out / ARCHIVE_FILE).write_text(
            json.dumps({"format": "bantin-archive", "version": FORMAT_VERSION}), encoding="utf-8"
        )
        for record in records:
            shutil.copytree(archive.issue_dir(record.id), out / "issues" / record.id, symlinks=False)
        pages = sum(len(r.pages) for r in records)
        dates = sorted(r.date for r in records if r.date)
        bag = bagit.make_bag(str(out), {
            "Source-Organization": "bantin archive",
            "External-Description": "Thông tin sinh hoạt chi bộ: scanned issues with OCR text, "
                                    "page images and searchable PDFs (bantin archive format "
                                    f"{FORMAT_VERSION})",
            "External-Identifier": str(archive.root.resolve()),
            "Bag-Count": "1 of 1",
            "Bantin-Issues": str(len(records)),
            "Bantin-Pages": str(pages),
            "Bantin-Dates": f"{dates[0]} .. {dates[-1]}" if dates else "unknown",
        }, checksums=ALGORITHMS)
        bag.validate()
    except (OSError, bagit.BagError) as exc:
        shutil.rmtree(out, ignore_errors=True)
        raise ArchiveError(_("{out}: the bag could not be written ({exc})")
            .format(out=out, exc=exc)) from None
    return len(records)


def is_bag(path: Path) -> bool:
    return path.is_dir() and (path / "bagit.txt").is_file() and (path / "data").is_dir()


def bag_issues(path: Path) -> list[Path]:
    """The issue folders of a validated bag (every file checked against its manifests)."""
    try:
        bagit.Bag(str(path)).validate()
    except bagit.BagError as exc:
        raise ArchiveError(_("{path}: not a valid BagIt bag ({exc})").format(path=path, exc=exc)) from None
    issues = path / "data" / "issues"
    return sorted(p for p in issues.iterdir() if (p / ISSUE_FILE).is_file()) if issues.is_dir() else []
