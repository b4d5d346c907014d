"""Recorrect: run the diacritic correction again over what the archive stores, with the
statistics as they are now (the Party lexicon, the archive's trusted text), without
OCR. Each OCR'd page's reading (``NNNN.reading.json``: the words as read, with their
alternatives) is corrected anew and the hOCR's words take the new forms, matched by
their boxes: a word a person corrected has a box of its own and is never changed. The
raw reading stays as it is; the text, the hOCR and ``issue.pdf``'s invisible text follow
(``Archive.replace_files``)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace

from archive import Archive, IssueRecord
from archive.hocr import BBOX
from archive.store import page_name
from pipeline.amend import ANALYSIS, page_files
from pipeline.assemble import ISSUE_PDF
from pipeline.correct import READING, reading_words
from pipeline.layer import replace_layers, text_layer_from_hocr
from vntext.diacritics import DiacriticModel

_WORD = re.compile(
    r"(<span[^>]*class=['\"]ocrx_word['\"][^>]*title=['\"])([^'\"]*)(['\"][^>]*>)([^<]*)(</span>)")
_RAW = re.compile(r"; x_raw [^;'\"]*")


@dataclass(frozen=True)
class WordChange:
    page: int
    before: str  # as the archive held it
    after: str  # as the correction reads it now
    raw: str  # as OCR read it


def recorrect_issue(archive: Archive, record: IssueRecord, model: DiacriticModel,
                    dry_run: bool = False) -> tuple[IssueRecord, list[WordChange]]:
    """Correct an issue's OCR'd pages again; the words changed (nothing is written with
    ``dry_run``). The caller holds the writer lock, and re-indexes a changed issue."""
    files: dict[str, bytes] = {}
    layers: dict[int, bytes] = {}
    changes: list[WordChange] = []
    pages = list(record.pages)
    for k, page in enumerate(pages):
        reading = archive.page_file(record.id, page.n, READING)
        if page.method != "ocr" or not reading.is_file():
            continue
        read = reading_words(reading.read_text(encoding="utf-8"))
        corrected = {c.index: c.corrected for c in model.correct([word for word, _ in read])}
        wanted = {box: (corrected.get(i, word.text), word.text) for i, (word, box) in enumerate(read) if box}
        hocr = archive.page_file(record.id, page.n, ".hocr").read_text(encoding="utf-8")
        new_hocr, found = _rewrite(hocr, wanted, page.n)
        if not found:
            continue
        changes += found
        files |= page_files(page.n, new_hocr)
        layers[page.n] = text_layer_from_hocr(new_hocr, page.width, page.height, page.dpi)
        pages[k] = replace(page, corrected=len(_RAW.findall(new_hocr)))
    if not changes or dry_run:
        return record, changes
    if ISSUE_PDF in record.files:
        files[ISSUE_PDF] = replace_layers(archive.issue_dir(record.id) / ISSUE_PDF, layers)
    stale = tuple(page_name(n, ANALYSIS) for n in layers)
    return archive.replace_files(record.id, files, stale=stale, changes={"pages": pages}), changes


def _rewrite(hocr: str, wanted: dict[tuple[int, ...], tuple[str, str]],
             n: int) -> tuple[str, list[WordChange]]:
    """The hOCR with each word the correction now reads otherwise (found by its box) in
    its new form, ``x_raw`` naming what OCR read; the changes."""
    found: list[WordChange] = []

    def rewrite(match: re.Match[str]) -> str:
        box = BBOX.search(match.group(2))
        target = wanted.get(tuple(int(v) for v in box.groups())) if box else None
        now = html.unescape(match.group(4)).strip()
        if target is None or target[0] == now:
            return match.group(0)  # a person's word, or one the correction leaves as it is
        after, raw = target
        found.append(WordChange(n, now, after, raw))
        title = _RAW.sub("", match.group(2)) + (f"; x_raw {html.escape(raw)}" if after != raw else "")
        return f"{match.group(1)}{title}{match.group(3)}{html.escape(after, quote=False)}{match.group(5)}"

    return _WORD.sub(rewrite, hocr), found
