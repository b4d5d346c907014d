"""Text layer: read the text of born-digital PDF pages with their word boxes (poppler).

One ``pdftotext -bbox-layout`` run reads every page of a PDF; pages whose layer holds
real text skip OCR, the others are OCR'd (the decision is made per page).
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from archive.errors import _
from pipeline.errors import InputError, MissingDependency

# Fewer letters than this is a page number or a stamp, not a text layer worth trusting.
MIN_LAYER_CHARS = 16
XHTML = "{http://www.w3.org/1999/xhtml}"
# Glyphs without a Unicode mapping (a Type 3 font with no ToUnicode) come out of
# pdftotext as control characters, which XML forbids: dropped, such a page has no usable
# text and is OCR'd.
_XML_INVALID = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Word = tuple[float, float, float, float, str]  # x0, y0, x1, y1 in points, text


@dataclass(frozen=True)
class TextLayerPage:
    width: float  # points
    height: float
    blocks: tuple[tuple[tuple[Word, ...], ...], ...]  # blocks of lines of words

    @property
    def text(self) -> str:
        return "\n\n".join(
            "\n".join(" ".join(w[4] for w in line) for line in block) for block in self.blocks
        )

    @property
    def usable(self) -> bool:
        return sum(ch.isalnum() for ch in self.text) >= MIN_LAYER_CHARS


def read_text_layer(pdf: Path, pages: int) -> list[TextLayerPage]:
    """The text layer of every page (empty pages for a scanned PDF)."""
    try:
        done = subprocess.run(
            ["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            timeout=60 + pages,
            check=False,
        )
    except FileNotFoundError:
        raise MissingDependency(_("pdftotext not found: install poppler-utils")) from None
    except subprocess.TimeoutExpired:
        raise InputError(_("PDF text layer could not be read in time")) from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(_("corrupt or truncated PDF ({detail})")
            .format(detail=detail[-1] if detail else 'pdftotext failed'))
    try:
        root = ET.fromstring(_XML_INVALID.sub(b"", done.stdout))
    except ET.ParseError as exc:
        raise InputError(_("PDF text layer is unreadable ({exc})").format(exc=exc)) from None
    result = [_page(el) for el in root.iter(f"{XHTML}page")]
    empty = TextLayerPage(0.0, 0.0, ())
    return (result + [empty] * pages)[:pages]


def _page(page: ET.Element) -> TextLayerPage:
    blocks = []
    for block in page.iter(f"{XHTML}block"):
        lines = []
        for line in block.iter(f"{XHTML}line"):
            words = tuple(
                (
                    float(w.get("xMin", 0)),
                    float(w.get("yMin", 0)),
                    float(w.get("xMax", 0)),
                    float(w.get("yMax", 0)),
                    w.text or "",
                )
                for w in line.iter(f"{XHTML}word")
                if (w.text or "").strip()
            )
            if words:
                lines.append(words)
        if lines:
            blocks.append(tuple(lines))
    return TextLayerPage(float(page.get("width", 0)), float(page.get("height", 0)), tuple(blocks))
