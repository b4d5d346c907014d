"""Pages scanned upside down or sideways are found with Tesseract's orientation detection
(OSD), read upright, stored upright, and their text layer lies over the shown words."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from archive import Archive
from bantin.samples import SampleIssue, render_issue, save_image_folder, save_image_pdf
from pipeline import IngestOptions, Tesseract, ingest
from tests.conftest import TEST_DPI, word_accuracy
from tests.test_ingest import _text_layer_over_word


@pytest.mark.parametrize("angle", [90, 180])
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
