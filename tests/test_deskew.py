"""A page scanned askew whose reading lost most of its text is read straightened, and its
words are placed back on the scan (pipeline.deskew). Real Tesseract on a dense page of
text written for bantin, turned 1.9° the way a sheet lies crooked on a scanner."""

from __future__ import annotations

import io
import math
import random
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from archive import Archive
from archive.hocr import hocr_lines
from bantin.samples import find_font, sample_issues
from pipeline import IngestOptions, ingest
from pipeline.deskew import skew_angle

DPI = 200
SKEW = -1.9  # degrees, as PIL turns (counter-clockwise): the sheet lies clockwise
PAPER = 230


def crooked_page(skew: float) -> tuple[bytes, list[str]]:
    """An A4 page set full of the samples' text, turned by ``skew``, blurred, speckled and
    saved as a grey JPEG at quality 56; and its printed lines."""
    words = " ".join(p for issue in sample_issues() for page in issue.pages for p in page).split()
    rng = random.Random(1)
    width, height = round(8.27 * DPI), round(11.69 * DPI)
    page = Image.new("L", (width, height), PAPER)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(find_font(), size=round(DPI * 0.15))
    margin, step = round(DPI * 0.8), round(font.size * 1.45)
    y, line, lines = margin, "", []
    for word in words:
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width - 2 * margin:
            line = trial
            continue
        if y + step > height - margin:
            break
        draw.text((margin, y), line, font=font, fill=20)
        lines.append(line)
        y, line = y + step, word
    page = page.rotate(skew, fillcolor=PAPER, resample=Image.Resampling.BICUBIC)
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    pixels = page.load()
    assert pixels is not None
    for _ in range(width * height // 2000):
        pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 80, 160))
    with io.BytesIO() as out:
        page.save(out, "JPEG", quality=56, dpi=(DPI, DPI))
        return out.getvalue(), lines


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("askew")
    data, lines = crooked_page(SKEW)
    (folder / "ban-tin-so-04-2021.jpg").write_bytes(data)
    return folder / "ban-tin-so-04-2021.jpg", lines


def test_read_as_scanned_the_page_loses_most_of_its_words(scan: tuple[Path, list[str]]) -> None:
    """The fixture is what a held-out page showed: Tesseract's layout analysis drops most
    of a dense page 1.9° askew (else the test below would prove nothing)."""
    path, lines = scan
    read = subprocess.run(["tesseract", str(path), "-", "-l", "vie", "--dpi", str(DPI)], capture_output=True,
                          text=True, check=True).stdout
    assert len(read.split()) < len(" ".join(lines).split()) / 2


@pytest.mark.parametrize("skew", [SKEW, 1.2, 0.0])
def test_the_skew_is_found_within_a_fifth_of_a_degree(tmp_path: Path, skew: float) -> None:
    path = tmp_path / "page.jpg"
    path.write_bytes(crooked_page(skew)[0])
    assert abs(skew_angle(path) + skew) <= 0.2  # the angle that straightens it


def test_a_page_scanned_askew_is_read_straightened_and_its_words_stay_on_the_scan(
        scan: tuple[Path, list[str]], tmp_path: Path) -> None:
    path, lines = scan
    assert ingest([path], tmp_path / "archive", IngestOptions(jobs=1)).ok
    store = Archive.open(tmp_path / "archive")
    [record] = store.issues()
    text = " ".join(store.page_text(record.id, 1).split())
    printed = " ".join(lines).split()
    assert len(text.split()) >= 0.97 * len(printed)
    for line in (lines[0], lines[len(lines) // 2], lines[-1]):  # the top, the middle, the foot
        assert " ".join(line.split()[:4]) in text, line
    assert record.pages[0].unread == []

    # the boxes lie on the scan as it is: each on ink, and a line's words climb or fall
    # along it as the sheet lay
    hocr = store.page_file(record.id, 1, ".hocr").read_text("utf-8")
    first = max(hocr_lines(hocr), key=lambda ln: len(ln.words))
    left, right = first.words[0], first.words[-1]
    drift = (right.y0 + right.y1 - left.y0 - left.y1) / 2
    expected = math.tan(math.radians(-SKEW)) * ((right.x0 + right.x1 - left.x0 - left.x1) / 2)
    assert abs(drift - expected) <= 8, (drift, expected)
    with Image.open(path) as image:
        grey = image.convert("L")
        on_ink = [grey.crop((w.x0, w.y0, w.x1, w.y1)).getextrema()[0] < 128 for ln in hocr_lines(hocr)
                  for w in ln.words]
    assert sum(on_ink) >= 0.99 * len(on_ink)

    # the text layer of issue.pdf holds the words read straightened
    copied = subprocess.run(["pdftotext", str(store.issue_dir(record.id) / "issue.pdf"), "-"],
                            capture_output=True, text=True, check=True).stdout
    assert " ".join(lines[-1].split()[:4]) in " ".join(copied.split())
