"""Upgrade an archive folder to the format this bantin reads, in place.

Version 1 -> 2: each ``issue.json`` gains ``visibility`` ("public": every issue was).
Each file is rewritten atomically and the archive's marker last, so a migration cut
short is simply run again; the checksummed files are not touched.
"""

from __future__ import annotations

import json
from pathlib import Path

from archive.errors import ArchiveError, _
from archive.format import FORMAT_VERSION, upgraded
from archive.fsutil import write_atomic
from archive.store import ARCHIVE_FILE, ISSUE_FILE, Archive, read_json


def migrate(root: Path) -> int:
    """Bring the archive at ``root`` to FORMAT_VERSION; returns the issues rewritten
    (0 when it was already there). Takes the writer lock."""
    archive = Archive(root)
    marker = archive.root / ARCHIVE_FILE
    if not marker.is_file():
        raise ArchiveError(_("{root}: no bantin archive here").format(root=archive.root))
    version = read_json(marker).get("version")
    if version == FORMAT_VERSION:
        return 0
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ArchiveError(_("{marker}: format version {version} is not one this bantin can upgrade")
            .format(marker=marker, version=version))
    rewritten = 0
    with archive.writer_lock("migrate"):
        for issue_id in archive.issue_ids():
            path = archive.issue_dir(issue_id) / ISSUE_FILE
            data = read_json(path)
            if data.get("format_version") == FORMAT_VERSION:
                continue  # done by a run that was cut short
            write_atomic(path, json.dumps(upgraded(data), ensure_ascii=False, indent=2).encode())
            rewritten += 1
        write_atomic(marker, json.dumps({"format": "bantin-archive", "version": FORMAT_VERSION}).encode())
    return rewritten
