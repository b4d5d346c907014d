"""Doubtful lines read again, each alone.

Tesseract finds a page's layout first and reads its lines after. Large display type (a
title, the masthead, a section label) often comes out garbled
("KHUYĐN HỌC NHÀ HÀNG XOM CUNG BIEI") where the same line cut out and read alone as one
line (``--psm 7``) reads "KHUYỂN HỌC NHÀ HÀNG XÓM CŨNG BIẾT", and "ĐAY CUNG RẤT KHO LA"
reads "ĐÂY CŨNG RẤT KHÓ LÀ". A heading is doubtful when a word in four of it or more is no
Vietnamese syllable, or when its marks are far less likely than the best marking of its
letters; its second reading replaces the first only when clearly more of it is
Vietnamese, or as much and far likelier. A page's doubtful lines are read in one
Tesseract run.

The page's hOCR, text and text layer are all rewritten from the new words: the hOCR in
place (the line's words replaced, the rest byte for byte as Tesseract wrote it), the text
line for line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageOps

from archive.hocr import WordBox, word_boxes
from pipeline.correct import correct_page
from pipeline.errors import InputError
from pipeline.hocr import ReadWord, read_words, strip_choices
from vntext import fold
from vntext.diacritics import DiacriticModel
from vntext.syllables import canonical

DOUBTFUL_SHARE = 0.75  # this share of syllables or fewer: the line is read again
MARKS_GAP = 1.5  # or its marks this much less likely than the best (log-probability a syllable)
KEEP_GAIN = 0.15  # the second reading must hold this much more syllables,
FLUENCY_GAIN = 0.5  # or as many, this much more likely (log-probability a syllable)
MAX_LINES = 12  # per page: a page of garbage (a photo) is not read line by line
# Only headings are read again, lines this much taller than the page's text or set in
# capitals: body lines read alone gain nothing, and lose the alternatives the
# diacritic correction weighs.
LARGE = 1.3
MARGIN = 8  # pixels at least kept around the cut-out line
MARGIN_SHARE = 0.4  # of the line's height

_LINE = re.compile(r"<span class=['\"](?:ocr_line|ocr_caption|ocr_header|ocr_textfloat)['\"][^>]*"
                   r"title=['\"]bbox (\d+) (\d+) (\d+) (\d+)[^>]*>")
_LETTERS = re.compile(r"[^\W\d_]+")
_LINE_END = re.compile(r"<span class=['\"](?:ocr_line|ocr_caption|ocr_header|ocr_textfloat)['\"]"
                       r"|</p>|<div|</div")


class LineReader(Protocol):
    def read_lines(self, images: Sequence[Path], workdir: Path, alternatives: bool = False) -> list[str]:
        """The hOCR of each image, each holding one line of text."""


@dataclass(frozen=True)
class HocrLineSpan:
    """One line of Tesseract's hOCR: its box, and where its words' markup lies."""

    box: tuple[int, int, int, int]
    start: int
    end: int
    words: list[WordBox]
    text: str


def line_spans(hocr: str) -> list[HocrLineSpan]:
    spans = []
    for match in _LINE.finditer(hocr):
        following = _LINE_END.search(hocr, match.end())
        limit = following.start() if following else len(hocr)
        end = hocr.rfind("</span>", match.end(), limit)
        if end < 0:
            continue
        words = word_boxes(strip_choices(hocr[match.end():end]))
        box = (int(match[1]), int(match[2]), int(match[3]), int(match[4]))
        spans.append(HocrLineSpan(box, match.end(), end, words, " ".join(w.text for w in words)))
    return spans


@dataclass(frozen=True)
class Reread:
    hocr: str
    text: str
    lines: int  # lines whose second reading was kept


def reread_doubtful(hocr: str, text: str, image: Path, reader: LineReader, model: DiacriticModel,
                    workdir: Path, alternatives: bool = False) -> Reread:
    """The page with its doubtful lines read again where that reads better; with
    ``alternatives``, the new words keep each character's alternatives, as the page's
    first reading did."""
    spans = line_spans(hocr)
    shares = {s.start: syllable_share(s.text, model) for s in spans}  # each line's, once
    heights = sorted(s.box[3] - s.box[1] for s in spans if len(s.words) >= 3)
    large = LARGE * heights[len(heights) // 2] if heights else 0
    # each heading as it stands once corrected: a mark the correction puts right (from the
    # alternatives Tesseract saw in the page) is no reason to read the line again
    corrected = {s.start: correct_page(s.text, hocr[s.start:s.end], model).text if alternatives else s.text
                for s in spans if (s.box[3] - s.box[1] >= large or _capitals(s.text))
                and shares[s.start][1] >= 2 and not _fragment(s, spans, shares)}
    doubtful = [s for s in spans if s.start in corrected and _doubtful(corrected[s.start], model)]
    if not doubtful:
        return Reread(hocr, text, 0)
    # the largest type first: titles are what the cap most often keeps
    doubtful = sorted(doubtful, key=lambda s: s.box[1] - s.box[3])[:MAX_LINES]
    folder = workdir / "lines"
    folder.mkdir(exist_ok=True)
    replaced: list[tuple[HocrLineSpan, str, str]] = []
    with Image.open(image) as page:
        grey = page.convert("L")
        cuts = {}
        for span in doubtful:
            x0, y0, x1, y1 = span.box
            margin = max(MARGIN, round(MARGIN_SHARE * (y1 - y0)))  # marks above capitals stand out of the box
            left, top = max(x0 - margin, 0), max(y0 - margin, 0)
            box = (left, top, min(x1 + margin, grey.width), min(y1 + margin, grey.height))
            cuts[span.start] = (grey.crop(box), left, top, margin)
    # as cut, then (the lines not yet read better) with a white border: Tesseract reads
    # some lines only one way. Each round is one Tesseract run over all its lines.
    waiting = doubtful
    for attempt in (0, 1):
        paths = []
        for k, span in enumerate(waiting):
            cut, _, _, margin = cuts[span.start]
            paths.append(folder / f"line-{k}-{attempt}.png")
            (ImageOps.expand(cut, margin, fill=255) if attempt else cut).save(paths[-1])
        try:
            readings = reader.read_lines(paths, folder, alternatives)
        except InputError:  # lines Tesseract cannot read alone keep their first reading
            break
        left_over = []
        for span, again in zip(waiting, readings, strict=True):
            _, left, top, margin = cuts[span.start]
            shift = margin * attempt  # the border moved the words
            words = [replace(w, box=_moved(w.box, left - shift, top - shift)) for w in read_words(again)]
            new_text = " ".join(w.box.text for w in words)
            if words and _reads_better(new_text, corrected[span.start], model):
                replaced.append((span, _markup(words, len(replaced)), new_text))
            else:
                left_over.append(span)
        waiting = left_over
        if not waiting:
            break
    if not replaced:
        return Reread(hocr, text, 0)
    for span, markup, _ in sorted(replaced, key=lambda r: -r[0].start):
        hocr = hocr[:span.start] + markup + hocr[span.end:]
    return Reread(hocr, _retext(text, [(s.text, t) for s, _, t in replaced]), len(replaced))


def _doubtful(text: str, model: DiacriticModel) -> bool:
    """A word in four or more is no syllable, or the marks read are far less likely than
    the best marking of the same letters (display capitals often lose their marks)."""
    if syllable_share(text, model)[0] <= DOUBTFUL_SHARE:
        return True
    as_read, best = model.fluency(text)
    return best - as_read >= MARKS_GAP


def _reads_better(new: str, old: str, model: DiacriticModel) -> bool:
    """Clearly more of it is Vietnamese; or as much, and its words go together far better."""
    share, old_share = syllable_share(new, model)[0], syllable_share(old, model)[0]
    if share >= old_share + KEEP_GAIN:
        return True
    return share >= old_share and model.fluency(new)[0] >= model.fluency(old)[0] + FLUENCY_GAIN


def syllable_share(text: str, model: DiacriticModel) -> tuple[float, int]:
    """The share of a line's words that are Vietnamese syllables, and how many words. A
    lone consonant ("G" of "ĐÁM" misread) is no syllable, though the news text holds it."""
    words = _LETTERS.findall(text)
    known = sum(model.is_syllable(canonical(w)) and (len(w) > 1 or fold(w.lower()) in "aeiouy")
                for w in words)
    return known / max(len(words), 1), len(words)


def _capitals(text: str) -> bool:
    """A line in capitals: a heading, whatever its box's height (capitals have no
    ascenders or descenders to make it tall)."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _fragment(span: HocrLineSpan, spans: list[HocrLineSpan], shares: dict[int, tuple[float, int]]) -> bool:
    """A sliver Tesseract split off another line (the marks above a title's capitals),
    the worse read of two overlapping lines: read again, it would read as the other."""
    x0, y0, x1, y1 = span.box
    for other in spans:
        if other is span:
            continue
        ox0, oy0, ox1, oy1 = other.box
        across = min(x1, ox1) - max(x0, ox0)
        down = min(y1, oy1) - max(y0, oy0)
        if across > 0 and down > 0.3 * (y1 - y0) and shares[other.start][0] > shares[span.start][0]:
            return True
    return False


def _moved(word: WordBox, dx: int, dy: int) -> WordBox:
    return WordBox(word.text, word.x0 + dx, word.y0 + dy, word.x1 + dx, word.y1 + dy)


def _markup(words: list[ReadWord], line: int) -> str:
    """The words' spans, each with its content as read (its alternatives with it, which
    the diacritic correction weighs next)."""
    return "".join(
        f"\n      <span class='ocrx_word' id='reread_{line}_{i}' title='bbox {w.box.x0} {w.box.y0} {w.box.x1}"
        f" {w.box.y1}; x_wconf {w.confidence}'>{w.content}</span>"
        for i, w in enumerate(words)
    ) + "\n     "


def _retext(text: str, changes: list[tuple[str, str]]) -> str:
    """Tesseract's text with lines replaced: its lines are the hOCR's lines, words joined
    by one space. A line not found as such (never seen) is left."""
    lines = text.split("\n")
    for old, new in changes:
        at = next((i for i, line in enumerate(lines) if line.strip() == old), None)
        if at is not None:
            lines[at] = new
    return "\n".join(lines)
