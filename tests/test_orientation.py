"""Pages scanned upside down or sideways are found with Tesseract's orientation detection
(OSD), read upright, stored upright, and their text layer lies over the shown words."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from archive import Archive
from bantin.samples import SampleIssue, render_issue, save_image_folder, save_image_pdf
from pipeline import IngestOptions, Tesseract, ingest
from pipeline.pages import FEW_KNOWN, vietnamese_share
from tests.conftest import TEST_DPI, word_accuracy
from tests.test_ingest import _text_layer_over_word


@pytest.mark.parametrize("angle", [90, 180, 270])
def test_a_turned_page_is_read_and_stored_upright(
    tmp_path: Path, samples: dict[str, SampleIssue], angle: int
) -> None:
    issue = samples["so-03-2019"]
    pages = render_issue(issue, dpi=TEST_DPI)
    turned = [pages[0].rotate(angle, expand=True), pages[1]]  # the first page fed in turned
    (tmp_path / "scans").mkdir()
    pdf = save_image_pdf(turned, tmp_path / "scans" / "so-03.pdf", TEST_DPI)
    folder = save_image_folder(turned, tmp_path / "scans" / "so-03-trang")
    report = ingest([pdf, folder], tmp_path / "archive", IngestOptions(jobs=2))
    assert report.ok, report.outcomes
    archive = Archive.open(tmp_path / "archive")
    for record in archive.issues():
        assert [p.rotation for p in record.pages] == [angle, 0]
        text = archive.page_text(record.id, 1)
        assert word_accuracy("\n".join(issue.pages[0]), text) > 0.9
        stored = archive.page_file(record.id, 1, ".jpg")
        with tempfile.TemporaryDirectory() as work:  # the stored page image reads upright
            again = Tesseract().recognize(stored, None, Path(work))
        assert word_accuracy("\n".join(issue.pages[0]), again.text) > 0.8
        assert record.pages[0].width < record.pages[0].height  # portrait, as the page is
    pdf_issue = next(r.id for r in archive.issues() if r.source == "so-03.pdf")
    _text_layer_over_word(archive, pdf_issue, "Nâng")


def test_report_pages_lists_what_to_check_worst_first(
    tmp_path: Path, samples: dict[str, SampleIssue]
) -> None:
    import json
    import subprocess
    import sys

    from PIL import Image, ImageDraw

    scans = tmp_path / "scans"
    scans.mkdir()
    issue = samples["so-05-2019"]
    save_image_pdf(render_issue(issue, dpi=TEST_DPI)[:1], scans / "tot.pdf", TEST_DPI)
    # a poor scan: rendered at a third of the resolution and blown up again
    poor = render_issue(issue, dpi=50)[1]
    save_image_pdf([poor.resize((poor.width * 3, poor.height * 3))], scans / "mo.pdf", TEST_DPI)
    blank = Image.new("L", (1240, 1754), 255)  # scanner noise and a page number: nearly empty
    draw = ImageDraw.Draw(blank)
    for x, y in ((300, 400), (900, 1200), (640, 1300)):
        draw.ellipse((x, y, x + 4, y + 4), fill=0)
    draw.text((610, 1680), "7", fill=0)
    (scans / "trang-trang").mkdir()
    blank.save(scans / "trang-trang" / "trang-1.png", dpi=(TEST_DPI, TEST_DPI))
    report = ingest([scans], tmp_path / "archive", IngestOptions(jobs=2))
    assert report.ok, report.outcomes  # a near-empty page lands with what is on it
    bantin = str(Path(sys.executable).parent / "bantin")
    run = subprocess.run([bantin, "report", "pages", "--json", "--below", "90", "--archive",
                          str(tmp_path / "archive")], capture_output=True, text=True, check=True)
    checks = json.loads(run.stdout)
    store = Archive.open(tmp_path / "archive")
    source = {r.id: r.source for r in store.issues()}
    listed = [source[c["issue"]] for c in checks]
    assert listed[0] == "trang-trang" and checks[0]["near_empty"] and "nearly empty" in checks[0]["reason"]
    assert "mo.pdf" in listed and "tot.pdf" not in listed
    poor_check = next(c for c in checks if source[c["issue"]] == "mo.pdf")
    assert poor_check["confidence"] < 90 and "mean word confidence" in poor_check["reason"]


def test_a_palette_page_scanned_upside_down_is_turned(
    tmp_path: Path, samples: dict[str, SampleIssue]
) -> None:
    folder = tmp_path / "so-03"
    folder.mkdir()
    page = render_issue(samples["so-03-2019"], dpi=TEST_DPI)[0]
    page.rotate(180).convert("P").save(folder / "trang-1.png")  # palette mode, as many scanners save
    report = ingest([folder], tmp_path / "archive", IngestOptions(jobs=1))
    assert report.ok, report.outcomes
    record = Archive.open(tmp_path / "archive").issues()[0]
    assert record.pages[0].rotation == 180


def test_few_vietnamese_words_read_is_a_reason_to_check_orientation(
    tmp_path: Path, samples: dict[str, SampleIssue]
) -> None:
    # OCR of a page upside down can be confident garbage; few of its words are Vietnamese
    page = render_issue(samples["so-05-2019"], dpi=TEST_DPI)[0]
    shares = {}
    for angle in (0, 180):
        folder = tmp_path / str(angle)
        folder.mkdir()
        page.rotate(angle).save(folder / "page.png", dpi=(TEST_DPI, TEST_DPI))
        shares[angle] = vietnamese_share(Tesseract().recognize(folder / "page.png", TEST_DPI, folder).text)
    assert shares[0] > 0.9 and shares[180] < FEW_KNOWN
    assert vietnamese_share("Bản tin số 5") == 1.0  # too few words to tell: a near-empty page is not checked
