"""The bulletin's own words read right (issue 17): the curated Party lexicon in the
diacritic correction's counts turns Tesseract's "chỉ bộ" back into "chi bộ" on a rendered
page, real Tesseract, real correction."""

from __future__ import annotations

from pathlib import Path

from archive import Archive
from bantin.samples import render_issue, sample_issues, save_image_pdf
from pipeline import IngestOptions, ingest
from vntext.diacritics import PARTY_LEXICON, default_model


def test_the_lexicon_is_in_the_model() -> None:
    model = default_model()
    assert model.is_syllable("chi") and "chi bộ" in PARTY_LEXICON.read_text(encoding="utf-8")
    assert model.counts()[1][("chi", "bộ")] > 20 * max(1, model.counts()[1].get(("chỉ", "bộ"), 0))


def test_chi_bo_is_read_as_the_bulletin_prints_it(tmp_path: Path) -> None:
    issue = next(i for i in sample_issues() if i.name == "so-03-2019")
    save_image_pdf(render_issue(issue, dpi=200, noise=0.3)[:1], tmp_path / "so-03.pdf", dpi=200)
    assert ingest([tmp_path / "so-03.pdf"], tmp_path / "archive", IngestOptions(jobs=1)).ok
    archive = Archive.open(tmp_path / "archive")
    record = archive.issues()[0]
    raw = archive.page_file(record.id, 1, ".raw.txt").read_text(encoding="utf-8")
    text = archive.page_text(record.id, 1)
    assert raw.count("chỉ bộ") >= 2  # what Tesseract reads on this page
    assert text.count("chỉ bộ") <= 1 and text.count("chi bộ") >= raw.count("chi bộ") + 2
