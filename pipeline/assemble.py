"""Assemble: the issue's searchable PDF, its original pages with the OCR text laid over
them invisibly (OCRmyPDF's "sandwich").

For a PDF source the original file is the base, page for page, untouched but for the
added text; for images, each page's picture PDF made by the worker. Done once per issue
in the writer process, so no page PDF is written twice.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PageObject, PdfReader, PdfWriter, Transformation

from archive import StagedIssue
from archive.store import page_name
from pipeline.discover import SourceKind

PICTURE = ".page.pdf"  # a page picture as a one-page PDF (image sources)
LAYER = ".layer.pdf"  # Tesseract's invisible text for one page (OCR'd pages)
ISSUE_PDF = "issue.pdf"


def assemble_issue_pdf(
    kind: SourceKind, pdf: Path, staged: StagedIssue, pages: int, turned: dict[int, int]
) -> None:
    """Write the staged issue's ``issue.pdf`` from the source (``pdf``: the file its pages
    were read from) and its per-page files (then dropped). ``turned``: PDF pages scanned
    upside down or sideways, and the clockwise degrees that make them upright; they are
    shown turned (``/Rotate``), so their text layer lies over the words."""
    if kind is SourceKind.pdf:
        writer = PdfWriter(clone_from=pdf)
        for n, degrees in turned.items():
            writer.pages[n - 1].rotate(degrees)
    else:
        writer = PdfWriter()
        for n in range(1, pages + 1):
            writer.add_page(PdfReader(staged.path(page_name(n, PICTURE))).pages[0])
    for n, page in enumerate(writer.pages, start=1):
        layer = staged.path(page_name(n, LAYER))
        if layer.is_file():
            _overlay(page, PdfReader(layer).pages[0])
    with staged.writing(ISSUE_PDF) as out:
        writer.write(out)
    for n in range(1, pages + 1):
        for suffix in (PICTURE, LAYER):
            staged.remove(page_name(n, suffix))


def _overlay(page: PageObject, text: PageObject) -> None:
    """Lay the text page over the picture. The text is in the page's displayed orientation
    (poppler renders /Rotate), so it is scaled to the displayed size, then turned back
    into the unrotated content space the page's own drawing uses."""
    box = page.mediabox
    width, height = float(box.width), float(box.height)
    rotation = int(page.get("/Rotate", 0) or 0) % 360
    shown_w, shown_h = (height, width) if rotation in (90, 270) else (width, height)
    turn = Transformation().scale(
        shown_w / float(text.mediabox.width), shown_h / float(text.mediabox.height)
    )
    # displayed (x, y) -> content: 90: (W - y, x); 180: (W - x, H - y); 270: (y, H - x)
    offset = {0: (0.0, 0.0), 90: (width, 0.0), 180: (width, height), 270: (0.0, height)}[rotation]
    turn = turn.rotate(rotation).translate(offset[0] + float(box.left), offset[1] + float(box.bottom))
    page.merge_transformed_page(text, turn)
