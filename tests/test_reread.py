"""Headings and body lines read again alone, specks dropped (pipeline.reread), and the
text layer drawn from hOCR (pipeline.layer), with real Tesseract on a rendered page and
poppler's pdftotext."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from archive.hocr import hocr_lines
from bantin.samples import find_font
from pipeline import Tesseract
from pipeline.layer import text_layer_from_hocr
from pipeline.reread import line_spans, reread_doubtful
from vntext import fold
from vntext.diacritics import default_model

TITLE = "KHUYẾN HỌC NHÀ HÀNG XÓM CŨNG BIẾT"
# How Tesseract read titles in bench scans: garbled, and every word a syllable but the
# marks lost (display capitals)
MISREADS = {TITLE: "KHUYĐN HỌC XHAÀ HÀNG XOM CUNG BIEI", "ĐÂY CŨNG RẤT KHÓ LÀ": "ĐAY CUNG RẤT KHO LA"}
BODY = ["Chi bộ thôn Đông tổ chức sinh hoạt chuyên đề về khuyến học vào",
        "tối thứ bảy đầu tháng, đông đủ đảng viên đến dự và phát biểu ý kiến."]


def _page(path: Path, title: str = TITLE) -> Path:
    image = Image.new("L", (1400, 520), 255)
    draw = ImageDraw.Draw(image)
    draw.text((60, 50), title, font=ImageFont.truetype(find_font(), 56), fill=0)
    body = ImageFont.truetype(find_font(), 30)
    for k, line in enumerate(BODY):
        draw.text((60, 200 + 50 * k), line, font=body, fill=0)
    image.save(path)
    return path


def _misread(hocr: str, misread: str) -> str:
    """The page's hOCR with the title's words replaced by a wrong reading, the way a page
    read whole sometimes gives it back."""
    title = line_spans(hocr)[0]
    markup = hocr[title.start:title.end]
    for right, wrong in zip(title.text.split(), misread.split(), strict=True):
        markup = markup.replace(f">{right}<", f">{wrong}<", 1)
    return hocr[:title.start] + markup + hocr[title.end:]


@pytest.mark.parametrize("printed", list(MISREADS))
def test_a_misread_heading_is_read_again_and_text_hocr_and_layer_follow(tmp_path: Path, printed: str) -> None:
    misread = MISREADS[printed]
    page = _page(tmp_path / "page.png", printed)
    first = Tesseract().recognize(page, 200, tmp_path)
    assert fold(printed.lower()) in fold(first.text.lower())  # the page reads; the misread is made
    hocr = _misread(first.hocr, misread)
    text = first.text.replace(first.text.splitlines()[0], misread)
    assert misread in text and misread in " ".join(ln.text for ln in hocr_lines(hocr))

    again = reread_doubtful(hocr, text, page, Tesseract(), default_model(), tmp_path)

    assert again.lines == 1
    title = hocr_lines(again.hocr)[0]
    right = set(printed.split()) & set(title.text.split())
    assert len(right) >= len(printed.split()) - 1, title.text  # at most one syllable still wrong
    assert misread not in again.text and title.text in again.text
    # the words stand where the title is drawn, and the body lines are left as they were
    assert all(w.x0 >= 40 and w.x1 <= 1400 and w.y0 >= 30 and w.y1 <= 140 for w in title.words)
    body_before = [ln.text for ln in hocr_lines(hocr) if ln.y0 > 150]
    assert [ln.text for ln in hocr_lines(again.hocr) if ln.y0 > 150] == body_before

    layer = tmp_path / "layer.pdf"
    layer.write_bytes(text_layer_from_hocr(again.hocr, 1400, 520, 200))
    copied = subprocess.run(["pdftotext", "-layout", str(layer), "-"], capture_output=True, text=True,
                            check=True).stdout
    assert title.text.split()[2] in copied and "sinh hoạt" in copied


def test_body_lines_and_well_read_headings_are_not_read_again(tmp_path: Path) -> None:
    page = _page(tmp_path / "page.png")
    first = Tesseract().recognize(page, 200, tmp_path)
    again = reread_doubtful(first.hocr, first.text, page, Tesseract(), default_model(), tmp_path)
    assert again.lines == 0 and again.hocr == first.hocr and again.text == first.text


def _unsure(hocr: str, printed: str, read: str, confidence: int) -> str:
    """The page's hOCR with a body word read otherwise, at another confidence: the way a
    speck beside it makes Tesseract read it ("bộ" as "j" at 0)."""
    span = re.search(r"(<span class='ocrx_word'[^>]*x_wconf )\d+('>)" + re.escape(printed) + "<", hocr)
    assert span, printed
    return hocr[:span.start()] + f"{span[1]}{confidence}{span[2]}{read}<" + hocr[span.end():]


def _body(hocr: str) -> list[list[str]]:
    return [ln.text.split() for ln in hocr_lines(hocr) if ln.y0 > 150]


def test_an_unsure_body_word_is_read_again_and_only_it_changes(tmp_path: Path) -> None:
    page = _page(tmp_path / "page.png")
    first = Tesseract().recognize(page, 200, tmp_path)
    before = _body(first.hocr)
    assert "hoạt" in before[0]
    hocr = _unsure(first.hocr, "hoạt", "j", 0)
    text = first.text.replace("sinh hoạt", "sinh j")

    again = reread_doubtful(hocr, text, page, Tesseract(), default_model(), tmp_path)

    assert again.lines == 1
    assert _body(again.hocr) == before  # the word read again, the rest as first read
    assert "sinh hoạt" in again.text and "sinh j" not in again.text
    word = next(w for w in hocr_lines(again.hocr)[1].words if w.text == "hoạt")
    assert 60 <= word.y0 < word.y1 <= 290  # where the body's first line is drawn
    layer = tmp_path / "layer.pdf"
    layer.write_bytes(text_layer_from_hocr(again.hocr, 1400, 520, 200))
    copied = subprocess.run(["pdftotext", str(layer), "-"], capture_output=True, text=True, check=True).stdout
    assert "sinh hoạt" in copied


def test_an_unsure_word_read_again_with_other_marks_only_is_left_to_the_correction(tmp_path: Path) -> None:
    page = _page(tmp_path / "page.png")
    first = Tesseract().recognize(page, 200, tmp_path)
    # "chỉ" where the page prints "chi", unsure: read again it is "chi", and the diacritic
    # correction (with the first reading's alternatives) decides, not the second reading
    hocr = _unsure(first.hocr, "Chi", "Chỉ", 30)
    again = reread_doubtful(hocr, first.text, page, Tesseract(), default_model(), tmp_path)
    assert again.lines == 0 and again.hocr == hocr


def test_a_speck_read_as_a_dash_is_dropped_and_a_printed_dash_kept(tmp_path: Path) -> None:
    page = _page(tmp_path / "page.png")
    first = Tesseract().recognize(page, 200, tmp_path)
    last = hocr_lines(first.hocr)[-1].words[-1]
    words = re.findall(r"<span class='ocrx_word'.*?</span>", first.hocr, re.S)
    end = first.hocr.index(words[-1]) + len(words[-1])  # after the page's last word

    def dash(x0: int, y0: int, x1: int, y1: int) -> str:
        return f"<span class='ocrx_word' id='w_dash' title='bbox {x0} {y0} {x1} {y1}; x_wconf 89'>-</span>"

    middle = (last.y0 + last.y1) // 2
    speck = dash(last.x1 + 20, middle, last.x1 + 22, middle + 2)  # a 2 by 2 pixel dot
    printed = dash(last.x1 + 20, middle, last.x1 + 32, middle + 4)  # a quarter of the letters' height
    for markup, kept in ((speck, False), (printed, True)):
        hocr = first.hocr[:end] + markup + first.hocr[end:]
        lines = first.text.split("\n")
        at = max(i for i, ln in enumerate(lines) if ln.strip())
        text = "\n".join([*lines[:at], lines[at] + " -", *lines[at + 1:]])
        again = reread_doubtful(hocr, text, page, Tesseract(), default_model(), tmp_path)
        assert ("-" in _body(again.hocr)[-1]) is kept
        assert again.lines == (0 if kept else 1)
        assert again.text.split()[-1] == ("-" if kept else first.text.split()[-1])
