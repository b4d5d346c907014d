"""Reading hOCR: the word boxes hits are outlined with, and OCR's word confidences."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cached_property

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
    if "<" not in content and "&" not in content:  # most words: nothing to drop or decode
        return content.strip()
    return html.unescape(_TAG.sub("", content)).strip()


@dataclass(frozen=True)
class HocrLine:
    """One line of a page as OCR (or the text layer) laid it out, in raster pixels."""

    index: int  # the line's place in the hOCR (a stable anchor for edits)
    block: int  # the layout block (ocr_carea) holding it
    x0: int
    y0: int
    x1: int
    y1: int
    size: float  # Tesseract's x_size (text height), else the box's height
    words: tuple[WordBox, ...]

    @cached_property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


_LINE_OR_BLOCK = re.compile(
    r"<(?:div|span)[^>]*class=['\"](ocr_carea|ocr_line|ocr_header|ocr_caption|ocr_textfloat)['\"][^>]*>"
)
_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
_X_SIZE = re.compile(r"x_size ([\d.]+)")


def hocr_lines(hocr: str) -> list[HocrLine]:
    """Every non-empty line of a page with its words, in the hOCR's order."""
    marks = list(_LINE_OR_BLOCK.finditer(hocr))
    lines: list[HocrLine] = []
    block = 0
    index = 0
    for k, mark in enumerate(marks):
        if mark.group(1) == "ocr_carea":
            block += 1
            continue
        end = marks[k + 1].start() if k + 1 < len(marks) else len(hocr)
        words = tuple(word_boxes(hocr[mark.start():end]))
        bbox = _BBOX.search(mark.group(0))
        size = _X_SIZE.search(mark.group(0))
        if words and bbox:
            x0, y0, x1, y1 = map(int, bbox.groups())
            lines.append(HocrLine(index, block, x0, y0, x1, y1,
                                  float(size.group(1)) if size else float(y1 - y0), words))
        index += 1
    return lines
