"""Doubtful lines read again, each alone; specks read as punctuation dropped.

Tesseract finds a page's layout first and reads its lines after. Large display type (a
title, the masthead, a section label) often comes out garbled
("KHUYĐN HỌC NHÀ HÀNG XOM CUNG BIEI") where the same line cut out and read alone as one
line (``--psm 7``) reads "KHUYỂN HỌC NHÀ HÀNG XÓM CŨNG BIẾT", and "ĐAY CUNG RẤT KHO LA"
reads "ĐÂY CŨNG RẤT KHÓ LÀ". A heading is doubtful when a word in four of it or more is no
Vietnamese syllable, or when its marks are far less likely than the best marking of its
letters; its second reading replaces the first only when clearly more of it is
Vietnamese, or as much and far likelier.

In body text a speck of the scan beside a word makes Tesseract unsure of it: "bộ" merged
with a dot below it reads "j" at confidence 0, "chi" with a dot after it "chỉ:" at 46. A
body line holding a word read that unsure is read again too, and each run of unsure words
takes the words read again in its place where those are more Vietnamese, or as much and
far surer; the rest of the line stays as first read. A speck read as punctuation alone
("chi - bộ", the dash a 2 by 2 pixel dot) is dropped. A page's lines are read again in
one Tesseract run.

The page's hOCR, text and text layer are all rewritten from the new words: the hOCR in
place (the line's words replaced, the rest byte for byte as Tesseract wrote it), the text
line for line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path
from statistics import median_high
from typing import Protocol

from PIL import Image, ImageOps

from archive.hocr import WordBox
from pipeline.correct import correct_page
from pipeline.errors import InputError
from pipeline.hocr import ReadWord, read_words
from vntext import fold
from vntext.diacritics import DiacriticModel
from vntext.syllables import canonical

DOUBTFUL_SHARE = 0.75  # this share of syllables or fewer: the line is read again
MARKS_GAP = 1.5  # or its marks this much less likely than the best (log-probability a syllable)
KEEP_GAIN = 0.15  # the second reading must hold this much more syllables,
FLUENCY_GAIN = 0.5  # or as many, this much more likely (log-probability a syllable)
MAX_LINES = 12  # per page: a page of garbage (a photo) is not read line by line
# Headings are read again whole: lines this much taller than the page's text or set in
# capitals. Body lines read alone gain nothing on the whole, so only their unsure words
# are replaced (and the alternatives the diacritic correction weighs are read again too).
LARGE = 1.3
UNSURE = 50  # a body word Tesseract's confidence in is under this: its line is read again
MAX_UNSURE = 4  # such lines per page, besides the headings (each costs 0.1-0.3 s)
SURER = 30  # words read again, as Vietnamese as the first, must be this much surer (mean)
SPECK = 0.15  # punctuation whose larger side is this share of the line's letters' height
TALLER = 1.6  # a word this much taller than its line's others reaches into the next line
MARGIN = 8  # pixels at least kept around the cut-out line
MARGIN_SHARE = 0.4  # of the line's height

_LINE = re.compile(r"<span class=['\"](?:ocr_line|ocr_caption|ocr_header|ocr_textfloat)['\"][^>]*"
                   r"title=['\"]bbox (\d+) (\d+) (\d+) (\d+)[^>]*>")
_LETTERS = re.compile(r"[^\W\d_]+")
_CORE = re.compile(r"^[\W_]*(.*?)[\W_]*$", re.S)  # a word less the punctuation around it
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
    words: list[ReadWord]
    text: str


def line_spans(hocr: str) -> list[HocrLineSpan]:
    spans = []
    for match in _LINE.finditer(hocr):
        following = _LINE_END.search(hocr, match.end())
        limit = following.start() if following else len(hocr)
        end = hocr.rfind("</span>", match.end(), limit)
        if end < 0:
            continue
        words = read_words(hocr[match.end():end])
        box = (int(match[1]), int(match[2]), int(match[3]), int(match[4]))
        spans.append(HocrLineSpan(box, match.end(), end, words, " ".join(w.box.text for w in words)))
    return spans


@dataclass(frozen=True)
class Reread:
    hocr: str
    text: str
    lines: int  # lines whose words changed


# a line read alone: the words to keep in its place, or None to keep the first reading
Judge = Callable[[HocrLineSpan, list[ReadWord]], "list[ReadWord] | None"]


def reread_doubtful(hocr: str, text: str, image: Path, reader: LineReader, model: DiacriticModel,
                    workdir: Path, alternatives: bool = False) -> Reread:
    """The page with its doubtful lines read again where that reads better, and its
    specks dropped; with ``alternatives``, the new words keep each character's
    alternatives, as the page's first reading did."""
    spans = line_spans(hocr)
    shares = {s.start: syllable_share(s.text, model) for s in spans}  # each line's, once
    height = {s.start: _height(s) for s in spans}
    heights = [height[s.start] for s in spans if len(s.words) >= 3]
    large = LARGE * median_high(heights) if heights else 0
    # each heading as it stands once corrected: a mark the correction puts right (from the
    # alternatives Tesseract saw in the page) is no reason to read the line again
    headings = {s.start for s in spans if height[s.start] >= large or _capitals(s.text)}
    corrected = {s.start: correct_page(s.text, hocr[s.start:s.end], model).text if alternatives else s.text
                 for s in spans if s.start in headings and shares[s.start][1] >= 2
                 and not _fragment(s, spans, shares)}
    # the largest type first: titles are what the cap most often keeps
    doubtful = sorted((s for s in spans if s.start in corrected and _doubtful(corrected[s.start], model)),
                      key=lambda s: s.box[1] - s.box[3])
    # running text only (a stamp's or a seal's garbage reads no better alone), the worst
    # first: each line read alone costs about a tenth of the page's reading
    unsure = sorted((s for s in spans if s.start not in headings and _running_text(s, model)
                     and not _fragment(s, spans, shares)), key=lambda s: min(w.confidence for w in s.words))

    def judge(span: HocrLineSpan, words: list[ReadWord]) -> list[ReadWord] | None:
        if span.start in corrected:
            new_text = " ".join(w.box.text for w in words)
            return words if words and _reads_better(new_text, corrected[span.start], model) else None
        return _patched(span.words, words, model)

    lines = (doubtful[:MAX_LINES] + unsure[:MAX_UNSURE])
    new = _read_alone(lines, image, reader, workdir, alternatives, judge, {s.start for s in doubtful})
    changed = []
    for span in spans:
        words = _without_specks(new.get(span.start, span.words))
        if words != span.words:
            changed.append((span, words))
    for k, (span, words) in enumerate(reversed(changed)):
        hocr = hocr[:span.start] + _markup(words, k) + hocr[span.end:]
    changes = [(s.text, " ".join(w.box.text for w in words)) for s, words in changed]
    return Reread(hocr, _retext(text, changes), len(changed))


def _read_alone(spans: list[HocrLineSpan], image: Path, reader: LineReader, workdir: Path,
                alternatives: bool, judge: Judge, twice: set[int]) -> dict[int, list[ReadWord]]:
    """Each line cut out and read alone, the words the judge keeps (placed on the page)
    by the line's start in the hOCR; the lines ``twice`` names read again with a white
    border where the first cut read no better."""
    if not spans:
        return {}
    folder = workdir / "lines"
    folder.mkdir(exist_ok=True)
    with Image.open(image) as page:
        grey = page.convert("L")
        cuts = {}
        for span in spans:
            x0, y0, x1, y1 = _cut_box(span)
            margin = max(MARGIN, round(MARGIN_SHARE * (y1 - y0)))  # marks above capitals stand out of the box
            left, top = max(x0 - margin, 0), max(y0 - margin, 0)
            box = (left, top, min(x1 + margin, grey.width), min(y1 + margin, grey.height))
            cuts[span.start] = (grey.crop(box), left, top, margin)
    # as cut, then (the lines not yet read better) with a white border: Tesseract reads
    # some lines only one way. Each round is one Tesseract run over all its lines.
    kept: dict[int, list[ReadWord]] = {}
    waiting = spans
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
            words = judge(span, [replace(w, box=_moved(w.box, left - shift, top - shift))
                                 for w in read_words(again)])
            if words is None:
                left_over.append(span)
            else:
                kept[span.start] = words
        waiting = [span for span in left_over if span.start in twice]
        if not waiting:
            break
    return kept


def _running_text(span: HocrLineSpan, model: DiacriticModel) -> bool:
    """A line of running text holding a word Tesseract was unsure of: its other words
    three or more, and three in four of them Vietnamese syllables."""
    if all(w.confidence >= UNSURE for w in span.words):
        return False
    share, words = syllable_share(" ".join(w.box.text for w in span.words if w.confidence >= UNSURE), model)
    return words >= 3 and share >= DOUBTFUL_SHARE


def _cut_box(span: HocrLineSpan) -> tuple[int, int, int, int]:
    """The line's box, but no taller than its words of ordinary height: a word merged with
    a speck below it reaches into the next line, and the cut would hold three lines."""
    boxes = [w.box for w in span.words]
    if len(boxes) < 3:
        return span.box
    tallest = TALLER * median_high(b.y1 - b.y0 for b in boxes)
    ordinary = [b for b in boxes if b.y1 - b.y0 <= tallest]
    return (span.box[0], min(b.y0 for b in ordinary), span.box[2], max(b.y1 for b in ordinary))


def _height(span: HocrLineSpan) -> int:
    """The line's height as its words of ordinary height make it."""
    _, top, _, bottom = _cut_box(span)
    return bottom - top


def _patched(first: list[ReadWord], again: list[ReadWord], model: DiacriticModel) -> list[ReadWord] | None:
    """The line as first read, each run of unsure words replaced by the words read again
    in its place where those are more Vietnamese, or as much and far surer; None when
    no run is replaced. A word read again across a run's edge leaves the run as it was."""
    out: list[ReadWord] = []
    changed = False
    for unsure, group in groupby(first, key=lambda w: w.confidence < UNSURE):
        run = list(group)
        if unsure:
            left, right = min(w.box.x0 for w in run), max(w.box.x1 for w in run)
            inside = [w for w in again if left <= (w.box.x0 + w.box.x1) / 2 <= right]
            across = any(w.box.x0 < right and w.box.x1 > left for w in again if w not in inside)
            if not across and _surer(inside, run, model):
                out += inside
                changed = True
                continue
        out += run
    return out if changed else None


def _surer(new: list[ReadWord], old: list[ReadWord], model: DiacriticModel) -> bool:
    """More Vietnamese; or as much, the same letters less a mark a speck made ("chỉ:"
    read at 46 and "chỉ" at 96), and far surer. Words read again are never none: a speck
    read as a mark alone goes by its size (_without_specks). Marks on letters are left to
    the diacritic correction, which weighs the first reading's alternatives."""
    if not new:
        return False
    gain = _wordlike(new, model) - _wordlike(old, model)
    if gain:
        return gain > 0
    return (_letters(new) == _letters(old) and _marks(new) < _marks(old)
            and _mean_confidence(new) >= _mean_confidence(old) + SURER)


def _wordlike(words: list[ReadWord], model: DiacriticModel) -> int:
    """Vietnamese syllables less words that are none: letters that make no syllable,
    letters with digits or punctuation inside ("lên:nhà", "x6EÐrl"). Numbers and
    punctuation count neither way."""
    score = 0
    for word in words:
        core = _CORE.match(word.box.text)
        letters = core.group(1) if core else ""
        if letters.isalpha():
            score += 1 if _is_syllable(letters, model) else -1
        elif any(c.isalpha() for c in letters):
            score -= 1
    return score


def _letters(words: list[ReadWord]) -> str:
    return fold("".join(c for w in words for c in w.box.text if c.isalnum()).lower())


def _marks(words: list[ReadWord]) -> int:
    return sum(not c.isalnum() for w in words for c in w.box.text)


def _mean_confidence(words: list[ReadWord]) -> float:
    return sum(w.confidence for w in words) / len(words)


def _without_specks(words: list[ReadWord]) -> list[ReadWord]:
    """The line's words less punctuation far smaller than its letters: a speck of the
    scan that Tesseract read as a mark ("chi - bộ", the dash a 2 by 2 pixel dot; a
    printed dash is a quarter of the letters' height long)."""
    heights = [w.box.y1 - w.box.y0 for w in words if any(c.isalpha() for c in w.box.text)]
    if not heights:
        return words
    limit = SPECK * median_high(heights)
    return [w for w in words if any(c.isalnum() for c in w.box.text)
            or max(w.box.x1 - w.box.x0, w.box.y1 - w.box.y0) > limit]


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
    known = sum(_is_syllable(w, model) for w in words)
    return known / max(len(words), 1), len(words)


def _is_syllable(letters: str, model: DiacriticModel) -> bool:
    return model.is_syllable(canonical(letters)) and (len(letters) > 1 or fold(letters.lower()) in "aeiouy")


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
