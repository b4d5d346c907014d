"""Pages an archivist should check or re-scan: what OCR read badly, worst first.

Read from the archive alone: each page's mean word confidence and rotation in
``issue.json``, and its words' confidences in the page's hOCR.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from archive.errors import _
from archive.hocr import word_confidences
from archive.store import Archive

WEAK_WORD = 60  # a word read with less confidence than this is likely wrong
NEAR_EMPTY = 5  # an OCR'd page with fewer words holds almost nothing (noise, a blank page)
MAX_BOXES = 3  # unread regions named in a page's reason
MANY_CORRECTED = 0.05  # a page whose marks needed this share of words corrected read badly


@dataclass(frozen=True)
class PageCheck:
    issue: str
    number: int | None
    date: str | None
    page: int
    confidence: float | None  # mean word confidence, 0-100
    weak_share: float  # share of words under WEAK_WORD
    words: int
    rotation: int
    corrected: int  # words whose marks the post-OCR correction changed
    near_empty: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pages_to_check(archive: Archive, below: float = 80.0) -> list[PageCheck]:
    """OCR'd pages whose mean word confidence is under ``below``, or that are nearly
    empty, worst first (near-empty pages, then by confidence)."""
    found = []
    for record in archive.issues():
        for page in record.pages:
            if page.method != "ocr":
                continue
            confidences = word_confidences(archive.page_file(record.id, page.n, ".hocr").read_text("utf-8"))
            near_empty = len(confidences) < NEAR_EMPTY
            weak_marks = page.corrected > MANY_CORRECTED * max(1, len(confidences))
            if (not near_empty and not weak_marks and not page.unread
                    and (page.confidence is None or page.confidence >= below)):
                continue
            weak = sum(1 for c in confidences if c < WEAK_WORD) / max(1, len(confidences))
            reasons = [_("nearly empty: re-scan, or check it is a blank page")] if near_empty else []
            if page.confidence is not None and page.confidence < below:
                reasons.append(_("mean word confidence {confidence:.0f} (under {below:.0f}), {weak:.0%} of "
                                 "words under {limit}").format(confidence=page.confidence, below=below,
                                                               weak=weak, limit=WEAK_WORD))
            if weak_marks:
                reasons.append(_("{n} words' marks corrected ({share:.0%})").format(
                    n=page.corrected, share=page.corrected / max(1, len(confidences))))
            if page.unread:
                boxes = ", ".join("({}, {})-({}, {})".format(*box) for box in page.unread[:MAX_BOXES])
                more = (_(" and {n} more").format(n=len(page.unread) - MAX_BOXES)
                        if len(page.unread) > MAX_BOXES else "")
                reasons.append(_("ink without words in {n} regions (pixels {boxes}{more}): text OCR could "
                                 "not read, a picture or a seal; re-scan if it is text").format(
                                     n=len(page.unread), boxes=boxes, more=more))
            if page.rotation:
                reasons.append(_("scanned turned ({degrees}°)").format(degrees=page.rotation))
            found.append(PageCheck(record.id, record.number, record.date, page.n, page.confidence,
                                   round(weak, 3), len(confidences), page.rotation, page.corrected,
                                   near_empty, "; ".join(reasons)))
    return sorted(found, key=lambda c: (not c.near_empty, c.confidence or 0.0))
