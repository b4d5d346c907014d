"""The archive's trusted text (born-digital pages, lines a person corrected) teaches the
spelling suggestion and the diacritic correction the bulletin's own words: OCR that read
"chỉ bộ" more often than the covers print "chi bộ" no longer makes "sinh hoat chi bo"
suggest "sinh hoạt chỉ bộ"."""

from __future__ import annotations

import json
from pathlib import Path

from archive import Archive
from archive.hocr import hocr_lines
from bantin.editing import correct_lines, remove_issue
from bantin.ingesting import index_hooks
from bantin.samples import SampleIssue, render_issue, save_image_pdf, save_text_pdf
from index import IngestIndexer, open_index, reindex, search
from pipeline import IngestOptions, ingest
from tests.conftest import TEST_DPI
from vntext.diacritics import archive_model, default_model
from vntext.trusted import TrustedCounts

MISREAD = [["Sinh hoạt chỉ bộ ở thôn Tây bàn việc làm đường.",
            "Buổi sinh hoạt chỉ bộ tháng này có đông đảng viên dự.",
            "Sau sinh hoạt chỉ bộ các đồng chí đi thăm hộ nghèo."]]
PRINTED = [["Nâng cao chất lượng sinh hoạt chi bộ ở khu dân cư trong năm mới."]]


def test_counts_pairs_only_where_words_stand_together() -> None:
    counts = TrustedCounts.of_texts(["Sinh hoạt chi bộ, đảng viên", "chi bộ"])
    assert counts.together(("chi", "bộ")) == 2 and counts.together(("bộ", "đảng")) == 0
    assert counts.together(("sinh", "hoạt", "chi")) == 1 and counts.texts == 2
    again = TrustedCounts.from_json(counts.to_json())
    assert again == counts
    assert counts.removed(["chi bộ"]).together(("chi", "bộ")) == 1
    assert TrustedCounts.from_json(json.dumps({"version": 0})) == TrustedCounts()


def test_trusted_text_steers_the_suggestion_and_the_correction_model(tmp_path: Path) -> None:
    (tmp_path / "scans").mkdir()
    (tmp_path / "printed").mkdir()
    save_image_pdf(render_issue(SampleIssue("m", MISREAD), dpi=TEST_DPI), tmp_path / "scans" / "so-1.pdf",
                   TEST_DPI)
    save_text_pdf(SampleIssue("p", PRINTED), tmp_path / "printed" / "so-2.pdf")
    archive = tmp_path / "archive"
    # the scans' words kept as OCR read them: "chỉ bộ" three times, against one "chi bộ" printed
    assert ingest([tmp_path / "scans"], archive, IngestOptions(jobs=1, correct=False),
                  index_hooks(IngestIndexer(archive))).ok
    assert Archive.open(archive).issues()[0].pages[0].method == "ocr"
    assert "chỉ bộ" in Archive.open(archive).page_text(Archive.open(archive).issues()[0].id, 1).lower()
    hooks = index_hooks(IngestIndexer(archive))
    assert ingest([tmp_path / "printed"], archive, IngestOptions(jobs=1), hooks).ok
    trusted = archive / "index" / "trusted.json"
    counts = TrustedCounts.from_json(trusted.read_text("utf-8"))
    assert counts.together(("chi", "bộ")) == 1 and counts.together(("chỉ", "bộ")) == 0
    index = open_index(archive)
    assert search(index, "sinh hoat chi bo").suggestion == "sinh hoạt chi bộ"
    trusted.unlink()  # without it the OCR'd pages outvote the printed one
    assert search(open_index(archive), "sinh hoat chi bo").suggestion == "sinh hoạt chỉ bộ"
    reindex(archive)  # rebuilt from the archive
    assert TrustedCounts.from_json(trusted.read_text("utf-8")) == counts
    # the correction model counts the trusted pairs in
    base = default_model().counts()[1].get(("chi", "bộ"), 0)
    assert archive_model(trusted).counts()[1][("chi", "bộ")] == base + 5
    assert archive_model(tmp_path / "missing.json") is default_model()
    # a corrected line is trusted text from then on
    record = next(r for r in Archive.open(archive).issues() if r.pages[0].method == "ocr")
    hocr = Archive.open(archive).page_file(record.id, 1, ".hocr").read_text("utf-8")
    line = next(x for x in hocr_lines(hocr) if "chỉ" in x.text.lower())
    correct_lines(archive, record.id, 1, {line.index: line.text.replace("chỉ", "chi").replace("Chỉ", "Chi")})
    after = TrustedCounts.from_json(trusted.read_text("utf-8"))
    assert after.together(("chi", "bộ")) == 2 and after.texts == counts.texts + 1
    # removing the born-digital issue takes its words out of the counts
    printed = next(r for r in Archive.open(archive).issues() if r.pages[0].method == "text-layer")
    remove_issue(archive, printed.id)
    left = TrustedCounts.from_json(trusted.read_text("utf-8"))
    assert left.together(("chi", "bộ")) == 1 and left.together(("chất", "lượng")) == 0
