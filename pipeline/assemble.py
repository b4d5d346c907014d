"""Assemble: the issue's searchable PDF, its original pages with the OCR text laid over
them invisibly (OCRmyPDF's "sandwich").

For a PDF source the original file is the base, page for page, untouched but for the
added text; for images, each page's picture PDF made by the worker. Done once per issue
in the writer process, so no page PDF is written twice.
"""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf

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
    shown turned (``/Rotate``), so their text layer lies over the words.

    qpdf (pikepdf) reads the source's page streams only while writing them out, so the
    writer's memory does not hold a large PDF's pages at once."""
    with pikepdf.open(pdf) if kind is SourceKind.pdf else pikepdf.new() as issue:
        if kind is SourceKind.pdf:
            for n, degrees in turned.items():
                issue.pages[n - 1].rotate(degrees, relative=True)
        else:  # image pages are stored upright already
            for n in range(1, pages + 1):
                with pikepdf.open(io.BytesIO(staged.path(page_name(n, PICTURE)).read_bytes())) as picture:
                    issue.pages.append(picture.pages[0])
        for n, page in enumerate(issue.pages, start=1):
            layer = staged.path(page_name(n, LAYER))
            if layer.is_file():
                with pikepdf.open(io.BytesIO(layer.read_bytes())) as text:
                    _overlay(issue, page, text.pages[0])
        with staged.writing(ISSUE_PDF) as out:
            issue.save(out)
    for n in range(1, pages + 1):
        for suffix in (PICTURE, LAYER):
            staged.remove(page_name(n, suffix))


def _overlay(issue: pikepdf.Pdf, page: pikepdf.Page, text: pikepdf.Page) -> None:
    """Lay the text page over the picture, as a form XObject. The text is in the page's
    displayed orientation (poppler renders /Rotate), so it is scaled to the displayed
    size, then turned back into the unrotated content space the page's own drawing uses."""
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    width, height = x1 - x0, y1 - y0
    rotation = int(page.obj.get("/Rotate", 0)) % 360
    shown_w, shown_h = (height, width) if rotation in (90, 270) else (width, height)
    tx0, ty0, tx1, ty1 = (float(v) for v in text.mediabox)
    sx, sy = shown_w / (tx1 - tx0), shown_h / (ty1 - ty0)
    cos, sin = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}[rotation]
    # displayed (x, y) -> content: 90: (W - y, x); 180: (W - x, H - y); 270: (y, H - x)
    dx, dy = {0: (0.0, 0.0), 90: (width, 0.0), 180: (width, height), 270: (0.0, height)}[rotation]
    form = issue.copy_foreign(text.as_form_xobject())
    name = page.add_resource(form, pikepdf.Name.XObject, prefix="BantinText")
    matrix = (sx * cos, sx * sin, -sy * sin, sy * cos, dx + x0, dy + y0)
    page.contents_add(b"q\n", prepend=True)  # the page's own drawing leaves no state behind
    page.contents_add(f"\nQ q {' '.join(f'{v:.6f}' for v in matrix)} cm {name} Do Q\n".encode())
