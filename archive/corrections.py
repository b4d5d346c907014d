"""A page's corrections by people, as the archive keeps them (format version 2): the
machine reading stays beside the corrected page (``NNNN.ocr.txt``, ``NNNN.ocr.hocr``,
written at the first correction and never changed after), and every change of a line is
listed in ``NNNN.corrections.json``: ``[{line, old, new, by, at}]``, oldest first. All
three are source-of-truth files, checksummed in ``issue.json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from archive.store import Archive, page_name

CORRECTIONS = ".corrections.json"
OCR_TEXT = ".ocr.txt"
OCR_HOCR = ".ocr.hocr"


@dataclass(frozen=True)
class LineCorrection:
    line: int  # the line's index in the page's hOCR (as archive.hocr.hocr_lines numbers it)
    old: str
    new: str
    by: str | None  # the account that made it (None from the command line)
    at: str  # ISO 8601, UTC

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def corrected(record_files: dict[str, str], n: int) -> bool:
    return page_name(n, CORRECTIONS) in record_files


def corrections(archive: Archive, issue_id: str, n: int) -> list[LineCorrection]:
    """A page's corrections, oldest first (none for a page nobody corrected)."""
    path = archive.page_file(issue_id, n, CORRECTIONS)
    if not path.is_file():
        return []
    return [LineCorrection(int(c["line"]), str(c["old"]), str(c["new"]), c.get("by"), str(c["at"]))
            for c in json.loads(path.read_text(encoding="utf-8"))]


def machine_reading(archive: Archive, issue_id: str, n: int) -> str:
    """What OCR first read on the lines people corrected since, a line each: still
    searchable (a word read wrong for years is found as it was read), never shown."""
    first: dict[int, str] = {}
    for change in corrections(archive, issue_id, n):
        first.setdefault(change.line, change.old)
    return "\n".join(first.values())
