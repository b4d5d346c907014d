"""hOCR: word boxes and confidences, the coordinates hit boxes are drawn from."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from archive.hocr import BBOX, WordBox, word_boxes, word_confidences, word_text
from pipeline.textlayer import TextLayerPage

# one character's alternatives: a group of ocrx_cinfo spans, each "x_confs P" and the character
CHOICES = re.compile(
    r"\s*<span class=['\"]ocrx_cinfo['\"] id=['\"]lstm_choices[^>]*>"
    r"((?:\s*<span[^>]*>[^<]*</span>)*)\s*</span>\s*"
)
_IMAGE_PATH = re.compile(r"image \"[^\"]*\"; ")
_GROUP = (
    r"<span class=['\"]ocrx_cinfo['\"] id=['\"]lstm_choices[^>]*>(?:\s*<span[^>]*>[^<]*</span>)*\s*</span>"
)
# A word's span in groups: its opening up to the title, the title, the rest of the
# opening, its content (the text, and each character's alternatives), the close.
WORD_SPAN = (r"(<span[^>]*class=['\"]ocrx_word['\"][^>]*title=['\"])([^'\"]*)(['\"][^>]*>)"
             r"((?:[^<]+|" + _GROUP + r")*)(</span>)")
_WORD_SPAN = re.compile(WORD_SPAN, re.S)
WCONF = re.compile(r"x_wconf (\d+)")  # in a word's title


@dataclass(frozen=True)
class ReadWord:
    """A word of Tesseract's hOCR as read: its box, confidence, and its span's content
    (the text and, read with ``lstm_choice_mode``, each character's alternatives)."""

    box: WordBox
    confidence: int
    content: str


def read_words(hocr: str) -> list[ReadWord]:
    out = []
    for match in _WORD_SPAN.finditer(hocr):
        box = BBOX.search(match.group(2))
        text = word_text(CHOICES.sub("", match.group(4)))
        if box is None or not text:
            continue
        confidence = WCONF.search(match.group(2))
        out.append(ReadWord(WordBox(text, *map(int, box.groups())),
                            int(confidence.group(1)) if confidence else 0, match.group(4)))
    return out


def strip_choices(hocr: str) -> str:
    """The hOCR without Tesseract's per-character alternatives (lstm_choice_mode)."""
    return CHOICES.sub("", hocr)


def without_image_path(hocr: str) -> str:
    """Tesseract names the worker's temporary raster in the page's title: dropped, so that
    the same page read on any machine gives the same hOCR bytes."""
    return _IMAGE_PATH.sub("", hocr, count=1)


def runs_vertically(hocr: str) -> bool:
    """Do most words stand taller than wide? Tesseract reads a page scanned sideways one
    way round with high confidence, as vertical lines; upright Vietnamese words of three
    letters or more are wider than tall."""
    words = [b for b in word_boxes(strip_choices(hocr)) if len(b.text) >= 3]
    return len(words) >= 3 and sum(b.y1 - b.y0 > b.x1 - b.x0 for b in words) > len(words) / 2


def mean_confidence(hocr: str) -> tuple[float | None, int]:
    """Mean word confidence (0..100) and word count of a Tesseract hOCR page."""
    confidences = word_confidences(hocr)
    if not confidences:
        return None, 0
    return round(sum(confidences) / len(confidences), 1), len(confidences)


def hocr_from_text_layer(page: TextLayerPage, dpi: int) -> str:
    """An hOCR page for a text-layer page, in the pixels of its raster at ``dpi``."""
    scale = dpi / 72.0

    def box(x0: float, y0: float, x1: float, y1: float) -> str:
        return f"bbox {round(x0 * scale)} {round(y0 * scale)} {round(x1 * scale)} {round(y1 * scale)}"

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="vi" lang="vi">',
        '<head><meta name="ocr-system" content="bantin text-layer"/>'
        '<meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_line ocrx_word"/></head>',
        "<body>",
        f"<div class='ocr_page' title='{box(0, 0, page.width, page.height)}'>",
    ]
    for block in page.blocks:
        out.append("<div class='ocr_carea'>")
        for line in block:
            x0 = min(w[0] for w in line)
            y0 = min(w[1] for w in line)
            x1 = max(w[2] for w in line)
            y1 = max(w[3] for w in line)
            out.append(f"<span class='ocr_line' title='{box(x0, y0, x1, y1)}'>")
            out.extend(
                f"<span class='ocrx_word' title='{box(*w[:4])}'>{html.escape(w[4])}</span>"
                for w in line
            )
            out.append("</span>")
        out.append("</div>")
    out += ["</div>", "</body>", "</html>"]
    return "\n".join(out)
