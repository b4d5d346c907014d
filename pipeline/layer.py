"""An invisible text layer drawn from a page's hOCR, for pages whose words changed after
Tesseract drew its own (a line read again): ``issue.pdf`` then finds and copies the words
the archive holds. Each word is set in render mode 3 (invisible), stretched to its box."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from archive import ArchiveError
from archive.errors import _
from archive.hocr import hocr_lines
from pipeline.errors import MissingDependency

FONT = "BantinLayer"
FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Vietnamese glyphs; fonts-dejavu-core
DESCENT = 0.2  # share of a line's height below the baseline


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        if not FONT_FILE.is_file():
            raise MissingDependency(_("{font} not found: install fonts-dejavu-core").format(font=FONT_FILE))
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    return FONT


LAYER_PREFIX = "/BantinText"  # the name assemble gives a page's text layer in issue.pdf


def replace_layers(pdf_path: Path, layers: dict[int, bytes]) -> bytes:
    """``issue.pdf`` with the invisible text of some pages (number -> one-page layer PDF)
    replaced: the form each page draws keeps its name and place, only its content changes."""
    with pikepdf.open(str(pdf_path)) as pdf:
        for n, layer in sorted(layers.items()):
            page = pdf.pages[n - 1]
            names = [str(k) for k in page.resources.get("/XObject", {}) if str(k).startswith(LAYER_PREFIX)]
            if not names:
                raise ArchiveError(_("page {n} of {name} has no text layer of bantin's to replace")
                    .format(n=n, name=pdf_path.name))
            with pikepdf.open(io.BytesIO(layer)) as text:
                page.resources.XObject[names[-1]] = pdf.copy_foreign(text.pages[0].as_form_xobject())
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def text_layer_from_hocr(hocr: str, width: int, height: int, dpi: int) -> bytes:
    """One PDF page the size of the page's raster at ``dpi``, its words invisible."""
    scale = 72.0 / dpi
    font = _font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(width * scale, height * scale), pageCompression=1)
    for line in hocr_lines(hocr):
        size = max((line.y1 - line.y0) * scale * (1 - DESCENT), 1.0)
        baseline = (height - line.y1) * scale + (line.y1 - line.y0) * scale * DESCENT
        for word in line.words:
            natural = pdfmetrics.stringWidth(word.text, font, size)
            if natural <= 0:
                continue
            text = pdf.beginText()
            text.setTextRenderMode(3)
            text.setFont(font, size)
            text.setHorizScale(100.0 * (word.x1 - word.x0) * scale / natural)
            text.setTextOrigin(word.x0 * scale, baseline)
            text.textOut(word.text)
            pdf.drawText(text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
