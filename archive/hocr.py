"""Reading hOCR: the word boxes hits are outlined with, and OCR's word confidences."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_WORD = re.compile(
    r"<span[^>]*class=['\"]ocrx_word['\"][^>]*title=['\"]bbox (\d+) (\d+) (\d+) (\d+)[^'\"]*['\"][^>]*>"
    r"(.*?)</span>",
    re.S,
)
_TAG = re.compile(r"<[^>]+>")
_WCONF = re.compile(r"class=['\"]ocrx_word['\"][^>]*?x_wconf (\d+)")


def word_confidences(hocr: str) -> list[int]:
    """Tesseract's confidence (0-100) for each word of a page."""
    return [int(c) for c in _WCONF.findall(hocr)]


@dataclass(frozen=True)
class WordBox:
    """One word as OCR (or the text layer) placed it, in the pixels of the page's raster."""

    text: str  # NFC as stored
    x0: int
    y0: int
    x1: int
    y1: int


def word_boxes(hocr: str) -> list[WordBox]:
    return [
        WordBox(word_text(m.group(5)), *map(int, m.group(1, 2, 3, 4)))
        for m in _WORD.finditer(hocr)
        if m.group(5).strip()
    ]


def word_text(content: str) -> str:
    """The text of an ``ocrx_word`` span's content: inner tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", content)).strip()
