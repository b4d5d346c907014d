"""Amend: a person's correction of a page's lines, carried everywhere the page's words
are. The hOCR keeps each line and its box (the corrected line's words share its width);
the page text is rebuilt from it; the searchable ``issue.pdf`` gets the page's invisible
text redrawn; the machine reading and each change are kept as ``archive.corrections``
says, all replaced in one step (``Archive.replace_files``).
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime

from archive import Archive, ArchiveError, IssueRecord
from archive.corrections import CORRECTIONS, OCR_HOCR, OCR_TEXT, LineCorrection, corrections
from archive.errors import _
from archive.hocr import hocr_lines, hocr_text, replace_line
from archive.store import page_name
from pipeline.assemble import ISSUE_PDF
from pipeline.layer import replace_layers, text_layer_from_hocr
from vntext import clean_text

ANALYSIS = ".analysis.json"  # derived from the text: recomputed after a correction


def page_files(n: int, hocr: str) -> dict[str, bytes]:
    """A page's hOCR after a change of its words, and its text rebuilt from it."""
    return {page_name(n, ".hocr"): hocr.encode(), page_name(n, ".txt"): clean_text(hocr_text(hocr)).encode()}


def amend_lines(archive: Archive, issue_id: str, n: int, lines: dict[int, str],
                by: str | None = None) -> tuple[IssueRecord, list[LineCorrection]]:
    """Correct lines of page ``n`` (line index -> its new text); returns the record and
    the corrections made (a line given as it stands is no change). The caller holds the
    writer lock, and re-indexes the issue."""
    record = archive.load_issue(issue_id)
    page = next((p for p in record.pages if p.n == n), None)
    if page is None:
        raise ArchiveError(_("issue {issue_id} has no page {n}").format(issue_id=issue_id, n=n))
    hocr_path = archive.page_file(issue_id, n, ".hocr")
    original = hocr_path.read_text(encoding="utf-8")
    known = {line.index: line for line in hocr_lines(original)}
    at = datetime.now(UTC).isoformat(timespec="seconds")
    hocr, made = original, []
    for index, typed in sorted(lines.items()):
        if index not in known:
            raise ArchiveError(_("page {n} of issue {issue_id} has no line {index}")
                .format(n=n, issue_id=issue_id, index=index))
        new = " ".join(unicodedata.normalize("NFC", typed).split())
        if not new:
            raise ArchiveError(_("line {index}: a line cannot be emptied (correct it, or leave it)")
                .format(index=index))
        if new == known[index].text:
            continue
        hocr = replace_line(hocr, index, new)
        made.append(LineCorrection(index, known[index].text, new, by, at))
    if not made:
        return record, []
    files = page_files(n, hocr)
    if not archive.page_file(issue_id, n, OCR_HOCR).is_file():  # the machine reading, kept once
        files[page_name(n, OCR_HOCR)] = original.encode()
        files[page_name(n, OCR_TEXT)] = archive.page_file(issue_id, n, ".txt").read_bytes()
    history = [c.to_dict() for c in [*corrections(archive, issue_id, n), *made]]
    files[page_name(n, CORRECTIONS)] = json.dumps(history, ensure_ascii=False, indent=1).encode()
    if page.method == "ocr" and ISSUE_PDF in record.files:
        layer = text_layer_from_hocr(hocr, page.width, page.height, page.dpi)
        files[ISSUE_PDF] = replace_layers(archive.issue_dir(issue_id) / ISSUE_PDF, {n: layer})
    return archive.replace_files(issue_id, files, stale=(page_name(n, ANALYSIS),)), made
