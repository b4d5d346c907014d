"""Reading hOCR: the word boxes hits are outlined with, and OCR's word confidences."""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

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


class WordBox(NamedTuple):
    """One word as OCR (or the text layer) placed it, in the pixels of the page's raster
    (a named tuple: a page holds hundreds, and a frozen dataclass costs twice as much to
    build, which segmenting every stored page again pays)."""

    text: str  # NFC as stored
    x0: int
    y0: int
    x1: int
    y1: int


def word_boxes(hocr: str) -> list[WordBox]:
    out = []
    for m in _WORD.finditer(hocr):
        text, x0, y0, x1, y1 = m.group(5, 1, 2, 3, 4)
        if text.strip():
            out.append(WordBox(word_text(text), int(x0), int(y0), int(x1), int(y1)))
    return out


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
BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")  # in an element's title
_X_SIZE = re.compile(r"x_size ([\d.]+)")


def hocr_lines(hocr: str) -> list[HocrLine]:
    """Every non-empty line of a page with its words, in the hOCR's order."""
    marks = list(_LINE_OR_BLOCK.finditer(hocr))
    ends = [m.start() for m in marks[1:]] + [len(hocr)]
    lines: list[HocrLine] = []
    block = 0
    index = 0
    for mark, end in zip(marks, ends, strict=True):
        if mark.group(1) == "ocr_carea":
            block += 1
            continue
        # the words between this mark and the next (segmenting the whole archive again
        # reads every word of it: findall's tuples cost least)
        words = tuple(WordBox(word_text(text), int(x0), int(y0), int(x1), int(y1))
                      for x0, y0, x1, y1, text in _WORD.findall(hocr, mark.end(), end) if text.strip())
        bbox = BBOX.search(mark.group(0))
        size = _X_SIZE.search(mark.group(0))
        if words and bbox:
            x0, y0, x1, y1 = map(int, bbox.groups())
            lines.append(HocrLine(index, block, x0, y0, x1, y1,
                                  float(size.group(1)) if size else float(y1 - y0), words))
        index += 1
    return lines


def replace_line(hocr: str, index: int, text: str) -> str:
    """The page's hOCR with the words of line ``index`` (as ``hocr_lines`` numbers it)
    replaced by ``text``'s words: the line and its box stay (phrase search and the boxes
    outlined on the page still find it); the new words share its width in proportion to
    their length, each with confidence 100 (a person read them)."""
    marks = [m for m in _LINE_OR_BLOCK.finditer(hocr) if m.group(1) != "ocr_carea"]
    if not 0 <= index < len(marks):
        raise ValueError(f"the page has no line {index}")
    mark = marks[index]
    following = [m for m in _LINE_OR_BLOCK.finditer(hocr, mark.end())]
    end = following[0].start() if following else len(hocr)
    segment = hocr[mark.end():end]
    words = list(_WORD.finditer(segment))
    bbox = BBOX.search(mark.group(0))
    if bbox is None:
        raise ValueError(f"line {index} has no box")
    x0, y0, x1, y1 = map(int, bbox.groups())
    new = text.split()
    gap = max(1, round((y1 - y0) * 0.3))
    unit = (x1 - x0 - gap * max(len(new) - 1, 0)) / max(sum(len(w) for w in new), 1)
    spans, x = [], float(x0)
    for k, word in enumerate(new):
        right = x1 if k == len(new) - 1 else round(x + unit * len(word))
        spans.append(f"<span class='ocrx_word' id='word_fix_{index}_{k}' title='bbox {round(x)} {y0} "
                     f"{right} {y1}; x_wconf 100'>{html.escape(word, quote=False)}</span>")
        x = right + gap
    joined = " ".join(spans)
    if words:
        start, stop = words[0].start(), words[-1].end()
        segment = segment[:start] + joined + segment[stop:]
    else:
        segment = joined + segment
    return hocr[:mark.end()] + segment + hocr[end:]


_PAR = re.compile(r"<(?:p|div)[^>]*class=['\"]ocr_par['\"][^>]*>")


def hocr_text(hocr: str) -> str:
    """The page's text as Tesseract writes it beside the hOCR: a line per line, a blank
    line between paragraphs (before clean-up)."""
    pars = [m.start() for m in _PAR.finditer(hocr)]
    starts = [m.start() for m in _LINE_OR_BLOCK.finditer(hocr) if m.group(1) != "ocr_carea"]
    out: list[str] = []
    previous = None
    for line in hocr_lines(hocr):
        paragraph = bisect.bisect(pars, starts[line.index])
        if previous is not None and paragraph != previous:
            out.append("")
        out.append(line.text)
        previous = paragraph
    return "\n".join(out)
