"""Diacritic correction of one OCR'd page: the words Tesseract read, in its hOCR, go
through ``vntext.diacritics`` with, per character, the alternatives
Tesseract saw (``lstm_choice_mode=2``); the hOCR words and the page text take the
corrected forms, so the word boxes the web outlines stay on the words the index holds.
The raw text is stored beside them (``.raw.txt``); each changed hOCR word keeps what OCR
read in its ``x_raw`` title property. The alternatives are dropped from the stored hOCR
(they make it ten times larger); what the correction needs of them is kept compactly
in the page's reading (``NNNN.reading.json``: each word as read, its box and confidence,
and the alternatives of the characters that had more than one), so that ``bantin
recorrect`` can run the correction again with new statistics, without OCR."""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pikepdf

from archive.hocr import BBOX, word_text
from pipeline.hocr import CHOICES, WCONF, WORD_SPAN, strip_choices
from vntext.diacritics import Choice, Correction, DiacriticModel, OcrWord

READING = ".reading.json"
READING_VERSION = 1
SURE = 100.0  # the confidence of a character OCR offered no alternative for

_ITEM = re.compile(r"class=['\"]ocr_par['\"]|" + WORD_SPAN, re.S)
_CHOICE = re.compile(r"x_confs ([\d.]+)['\"]>([^<]*)</span>")
_TOKEN = re.compile(r"\S+")
_LAYER_WORD = re.compile(rb"\[ <([0-9A-Fa-f]*)> \] TJ")


@dataclass(frozen=True)
class CorrectedPage:
    text: str
    hocr: str
    corrections: list[Correction]
    reading: str  # the words as read, for bantin recorrect (JSON)


def correct_page(text: str, hocr: str, model: DiacriticModel) -> CorrectedPage:
    """Correct the words of a page read by Tesseract (its plain text and hOCR)."""
    words: list[OcrWord] = []
    boxes: list[list[int]] = []
    new_paragraph = False
    for match in _ITEM.finditer(hocr):
        if match.group(1) is None:
            new_paragraph = True
            continue
        choices = _choices(match.group(4))
        word = word_text(CHOICES.sub("", match.group(4)))
        confidence = WCONF.search(match.group(2))
        words.append(OcrWord(word, new_paragraph, choices if len(choices) == len(word) else (),
                             float(confidence.group(1)) if confidence else None))
        box = BBOX.search(match.group(2))
        boxes.append([int(v) for v in box.groups()] if box else [])
        new_paragraph = False
    hocr = strip_choices(hocr)
    reading = reading_json(words, boxes)
    corrections = model.correct(words)
    if not corrections:
        return CorrectedPage(text, hocr, [], reading)
    return CorrectedPage(_retext(text, words, corrections), _rehocr(hocr, corrections), corrections, reading)


def reading_json(words: list[OcrWord], boxes: list[list[int]]) -> str:
    """The words as OCR read them, compactly: text, box, confidence, a paragraph's first
    word, and the alternatives of the characters that had more than one (``a`` absent:
    the word had no alternatives at all)."""
    out = []
    for word, box in zip(words, boxes, strict=True):
        item: dict[str, Any] = {"t": word.text, "b": box, "c": word.confidence}
        if word.new_paragraph:
            item["p"] = 1
        if word.choices:
            item["a"] = {str(i): [[c, round(p, 1)] for c, p in options]
                         for i, options in enumerate(word.choices) if len(options) > 1}
        out.append(item)
    return json.dumps({"version": READING_VERSION, "words": out}, ensure_ascii=False, separators=(",", ":"))


def reading_words(data: str) -> list[tuple[OcrWord, tuple[int, ...]]]:
    """A stored reading's words (a character stored without alternatives was OCR's only
    choice there) with their boxes."""
    words = []
    for item in json.loads(data)["words"]:
        text = item["t"]
        alternatives = item.get("a")
        choices: tuple[Choice, ...] = ()
        if alternatives is not None:
            choices = tuple(tuple((c, float(p)) for c, p in alternatives[str(i)]) if str(i) in alternatives
                            else ((ch, SURE),) for i, ch in enumerate(text))
        words.append((OcrWord(text, bool(item.get("p")), choices, item.get("c")), tuple(item["b"])))
    return words


def correct_text_layer(layer: bytes, corrections: list[Correction]) -> bytes:
    """Tesseract's invisible text layer with the corrected words. Its content stream
    draws each word of the hOCR, in the same order, as one string of UTF-16 code units
    (``[ <hex> ] TJ``) in a font whose glyphs are all alike; a correction changes marks
    only, so each new word has as many characters and lies over the same place. Should
    the layer not match the hOCR word for word, it is kept as OCR gave it."""
    if not corrections:
        return layer
    new = {c.index: c for c in corrections}
    with pikepdf.open(io.BytesIO(layer)) as pdf:
        page = pdf.pages[0]
        if not isinstance(page.obj.get("/Contents"), pikepdf.Stream):
            return layer
        content = page.obj.Contents.read_bytes()
        position = -1
        matched = True

        def replace(match: re.Match[bytes]) -> bytes:
            nonlocal position, matched
            position += 1
            change = new.get(position)
            if change is None:
                return match.group(0)
            drawn = bytes.fromhex(match.group(1).decode("ascii")).decode("utf-16-be")
            if drawn.rstrip(" ") != change.raw or len(change.corrected) != len(change.raw):
                matched = False
                return match.group(0)
            text = change.corrected + drawn[len(change.raw):]
            return b"[ <" + text.encode("utf-16-be").hex().upper().encode("ascii") + b"> ] TJ"

        content = _LAYER_WORD.sub(replace, content)
        if not matched or position < max(new):  # a word drawn otherwise, or fewer words
            return layer
        page.obj.Contents.write(content)
        with io.BytesIO() as out:
            pdf.save(out)
            return out.getvalue()


def _choices(content: str) -> tuple[Choice, ...]:
    """Per character of a word, its alternatives; Tesseract's groups for the space before
    a word are not characters of it."""
    groups = []
    for group in CHOICES.finditer(content):
        options = tuple((html.unescape(c), float(p)) for p, c in _CHOICE.findall(group.group(1)))
        if options and options[0][0].strip():
            groups.append(options)
    return tuple(groups)


def _rehocr(hocr: str, corrections: list[Correction]) -> str:
    new = {c.index: c for c in corrections}
    position = -1

    def replace(match: re.Match[str]) -> str:
        nonlocal position
        if match.group(1) is None:
            return match.group(0)
        position += 1
        change = new.get(position)
        if change is None:
            return match.group(0)
        title = f"{match.group(2)}; x_raw {html.escape(change.raw)}"
        word = html.escape(change.corrected, quote=False)
        return f"{match.group(1)}{title}{match.group(3)}{word}{match.group(5)}"

    return _ITEM.sub(replace, hocr)


def _retext(text: str, words: list[OcrWord], corrections: list[Correction]) -> str:
    """Tesseract's text holds the hOCR's words in the same order; where it does not (an
    engine that lays text out otherwise), the text is rebuilt from the words."""
    tokens = list(_TOKEN.finditer(text))
    new = {c.index: c.corrected for c in corrections}
    if [t.group() for t in tokens] != [w.text for w in words]:
        return "".join(
            ("\n\n" if w.new_paragraph else " ") * bool(i) + new.get(i, w.text) for i, w in enumerate(words)
        )
    out, last = [], 0
    for i, token in enumerate(tokens):
        if i in new:
            out += [text[last:token.start()], new[i]]
            last = token.end()
    out.append(text[last:])
    return "".join(out)
