"""Headings read again alone (pipeline.reread) and the text layer drawn from hOCR
(pipeline.layer), with real Tesseract on a rendered page and poppler's pdftotext."""

from __future__ import annotations

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
