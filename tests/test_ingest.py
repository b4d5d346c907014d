"""Ingest with real Tesseract on rendered Vietnamese pages: every input kind, metadata,
idempotency, bad input, the archive's files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pytest
from pypdf import PdfReader, PdfWriter

from archive import Archive, IssueRecord
from bantin.samples import (
    SampleIssue,
    render_issue,
    save_image_folder,
    save_image_pdf,
    save_text_pdf,
    save_tiff,
)
from pipeline import IngestOptions, IngestReport, Outcome, Status, ingest
from tests.conftest import RESOURCES, TEST_DPI, word_accuracy


@dataclass
class Batch:
    root: Path
    archive: Path
    report: IngestReport
    inputs: dict[str, Path]

    def outcome(self, name: str) -> Outcome:
        matches = [o for o in self.report.outcomes if o.path == self.inputs[name]]
        assert len(matches) == 1, matches
        return matches[0]


def _mixed_pdf(issue: SampleIssue, path: Path, work: Path) -> Path:
    """Page 1 born-digital (text layer), page 2 a scan without text: decided per page."""
    text_pdf = save_text_pdf(SampleIssue(issue.name, issue.pages[:1]), work / "part-text.pdf")
    scan_pdf = save_image_pdf(render_issue(issue, dpi=TEST_DPI)[1:], work / "part-scan.pdf", TEST_DPI)
    writer = PdfWriter()
    for part in (text_pdf, scan_pdf):
        for page in PdfReader(part).pages:
            writer.add_page(page)
    with path.open("wb") as f:
        writer.write(f)
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, SampleIssue]) -> Batch:
    root = tmp_path_factory.mktemp("ingest")
    scans = root / "scans with spaces & 'quotes'"
    scans.mkdir()
    work = root / "work"
    work.mkdir()
    inputs: dict[str, Path] = {}
    inputs["image-pdf"] = save_image_pdf(
        render_issue(samples["so-03-2019"], dpi=TEST_DPI), scans / "Bản tin $(touch pwned) số 3.pdf", TEST_DPI
    )
    folder = scans / "2019-05_so05"
    save_image_folder(render_issue(samples["so-05-2019"], dpi=TEST_DPI), folder, ext="png")
    # natural order: trang-2 before trang-10, where plain sorted() puts trang-10 first
    (folder / "trang-2.png").rename(folder / "trang-10.png")
    (folder / "trang-1.png").rename(folder / "trang-2.png")
    inputs["image-folder"] = folder
    inputs["tiff"] = save_tiff(
        render_issue(samples["so-08-2021"], dpi=TEST_DPI), scans / "ban-tin-so-08-thang-08-2021.tif", TEST_DPI
    )
    inputs["text-pdf"] = save_text_pdf(samples["so-12-2020"], scans / "so12.pdf")
    # PNG pages embedded losslessly (Flate): rendered by poppler, not passed through
    flate_pages = save_image_folder(render_issue(samples["so-03-2019"], dpi=TEST_DPI), work / "flate")
    inputs["flate-pdf"] = scans / "ban-tin-flate.pdf"
    inputs["flate-pdf"].write_bytes(img2pdf.convert(
        [str(p) for p in sorted(flate_pages.glob("*.png"))],
        layout_fun=img2pdf.get_fixed_dpi_layout_fun((TEST_DPI, TEST_DPI)),
    ))
    inputs["mixed-pdf"] = _mixed_pdf(samples["so-05-2019"], scans / "mixed.pdf", work)
    bad = scans / "bad"
    bad.mkdir()
    for name in ("empty.pdf", "not-a-scan.pdf", "truncated.pdf", "encrypted.pdf"):
        inputs[name] = Path(shutil.copy(RESOURCES / name, bad / name))
    inputs["truncated.jpg"] = Path(shutil.copy(RESOURCES / "truncated.jpg", work / "truncated.jpg"))
    inputs["no-images"] = root / "empty-folder"
    inputs["no-images"].mkdir()
    (inputs["no-images"] / "ghi-chu.txt").write_text("không có ảnh", encoding="utf-8")
    (scans / "loop").symlink_to(scans, target_is_directory=True)  # must not walk forever
    archive = root / "archive"
    report = ingest(
        [scans, inputs["truncated.jpg"], inputs["no-images"]], archive, IngestOptions(jobs=2)
    )
    return Batch(root, archive, report, inputs)


def test_every_kind_lands_and_bad_inputs_fail_alone(batch: Batch) -> None:
    for kind in ("image-pdf", "image-folder", "tiff", "text-pdf", "mixed-pdf", "flate-pdf"):
        assert batch.outcome(kind).status is Status.added, batch.outcome(kind)
    reasons = {
        "empty.pdf": "empty file",
        "not-a-scan.pdf": "not a PDF or an image",
        "truncated.pdf": "PDF",
        "encrypted.pdf": "encrypted PDF",
        "truncated.jpg": "truncated",
        "no-images": "no PDFs or page images",
    }
    for name, reason in reasons.items():
        outcome = batch.outcome(name)
        assert outcome.status is Status.failed, outcome
        assert reason in outcome.message, outcome
        assert "\n" not in outcome.message
    assert len(Archive.open(batch.archive).issue_ids()) == 6
    assert not (batch.archive / ".staging").exists() or not any((batch.archive / ".staging").iterdir())
    assert not (batch.root / "pwned").exists() and not Path("pwned").exists()


def test_ocr_text_accuracy_on_clean_renders(batch: Batch, samples: dict[str, SampleIssue]) -> None:
    archive = Archive.open(batch.archive)
    for kind, sample in (("image-pdf", "so-03-2019"), ("tiff", "so-08-2021"), ("flate-pdf", "so-03-2019")):
        issue_id = batch.outcome(kind).issue_id
        record = archive.load_issue(issue_id)
        assert [p.method for p in record.pages] == ["ocr", "ocr"]
        for page in record.pages:
            expected = "\n".join(samples[sample].pages[page.n - 1])
            accuracy = word_accuracy(expected, archive.page_text(issue_id, page.n))
            assert accuracy >= 0.95, (kind, page.n, accuracy)
            assert page.confidence is not None and page.confidence > 70
            assert page.ocr_engine and page.ocr_engine.startswith("tesseract")


def test_folder_pages_in_natural_order(batch: Batch, samples: dict[str, SampleIssue]) -> None:
    archive = Archive.open(batch.archive)
    issue_id = batch.outcome("image-folder").issue_id
    page1, page2 = archive.page_text(issue_id, 1), archive.page_text(issue_id, 2)
    assert word_accuracy("\n".join(samples["so-05-2019"].pages[0]), page1) > 0.95
    assert word_accuracy("\n".join(samples["so-05-2019"].pages[1]), page2) > 0.95


def test_text_layer_used_per_page(batch: Batch, samples: dict[str, SampleIssue]) -> None:
    archive = Archive.open(batch.archive)
    digital = archive.load_issue(batch.outcome("text-pdf").issue_id)
    assert [p.method for p in digital.pages] == ["text-layer", "text-layer"]
    text = archive.page_text(digital.id, 1)
    assert word_accuracy("\n".join(samples["so-12-2020"].pages[0]), text) > 0.99
    mixed = archive.load_issue(batch.outcome("mixed-pdf").issue_id)
    assert [p.method for p in mixed.pages] == ["text-layer", "ocr"]


def test_metadata_from_each_source(batch: Batch) -> None:
    archive = Archive.open(batch.archive)

    def record(kind: str) -> IssueRecord:
        return archive.load_issue(batch.outcome(kind).issue_id)

    scan = record("image-pdf")
    assert (scan.number, scan.date) == (3, "2019-03")
    assert scan.provenance == {"number": "masthead", "date": "masthead"}
    digital = record("text-pdf")
    assert (digital.number, digital.date) == (12, "2020-06-15")
    tiff = record("tiff")  # masthead has the month, not the number: the number comes from the name
    assert (tiff.number, tiff.date) == (8, "2021-08")
    assert tiff.provenance == {"number": "filename", "date": "masthead"}
    assert tiff.title is None


def test_archive_files_and_checksums(batch: Batch) -> None:
    archive = Archive.open(batch.archive)
    for issue_id in archive.issue_ids():
        assert archive.verify(issue_id) == []
        record = archive.load_issue(issue_id)
        folder = archive.issue_dir(issue_id)
        for page in record.pages:
            for suffix in (".txt", ".raw.txt", ".hocr", ".jpg"):
                assert (folder / f"pages/{page.n:04d}{suffix}").is_file()
        assert len(PdfReader(folder / "issue.pdf").pages) == len(record.pages)
        assert any((folder / "source").iterdir())
    scan_id = batch.outcome("image-pdf").issue_id
    searchable = subprocess.run(
        ["pdftotext", str(archive.issue_dir(scan_id) / "issue.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "sinh hoạt" in searchable.lower()
    hocr = archive.page_file(scan_id, 1, ".hocr").read_text(encoding="utf-8")
    assert "ocrx_word" in hocr and "x_wconf" in hocr


def test_tampering_is_detected(batch: Batch, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(batch.archive, copy)
    archive = Archive.open(copy)
    issue_id = archive.issue_ids()[0]
    archive.page_file(issue_id, 1, ".txt").write_text("sửa đổi", encoding="utf-8")
    assert archive.verify(issue_id) == [f"{issue_id}/pages/0001.txt: checksum mismatch"]


def test_ingest_again_is_a_no_op(batch: Batch, tmp_path: Path) -> None:
    before = sorted(p.name for p in (batch.archive / "issues").iterdir())
    renamed = tmp_path / "same-scan-other-name.pdf"
    shutil.copy(batch.inputs["image-pdf"], renamed)
    again = [batch.inputs["image-pdf"], batch.inputs["tiff"], renamed]
    report = ingest(again, batch.archive, IngestOptions(jobs=1))
    assert [o.status for o in report.outcomes] == [Status.present] * 3
    assert sorted(p.name for p in (batch.archive / "issues").iterdir()) == before


def test_manifest_overrides_masthead(tmp_path: Path) -> None:
    scan = shutil.copy(RESOURCES / "scan-so-07-2018.pdf", tmp_path / "x.pdf")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,number,date,title\nx.pdf,70,2018-07-20,Số đặc biệt\n", encoding="utf-8")
    report = ingest([Path(scan)], tmp_path / "archive", IngestOptions(jobs=1, manifest=manifest))
    record = Archive.open(tmp_path / "archive").load_issue(report.outcomes[0].issue_id or "")
    assert (record.number, record.date, record.title) == (70, "2018-07-20", "Số đặc biệt")
    assert record.provenance == {"number": "manifest", "date": "manifest", "title": "manifest"}


def test_cli_ingest_list_show(tmp_path: Path) -> None:
    scan = shutil.copy(RESOURCES / "scan-so-07-2018.pdf", tmp_path / "scan.pdf")
    archive = tmp_path / "archive"
    bantin = [str(Path(sys.executable).parent / "bantin")]  # the console script of this venv
    run = subprocess.run(
        [*bantin, "ingest", str(scan), str(RESOURCES / "empty.pdf"), "--archive", str(archive),
         "--jobs", "1"],
        capture_output=True, text=True,
    )
    assert run.returncode == 1, run.stderr
    assert f"failed: {RESOURCES / 'empty.pdf'}: empty file (0 bytes)" in run.stderr
    assert "1 added, 0 already present, 1 failed" in run.stdout
    listed = json.loads(subprocess.run(
        [*bantin, "list", "--json"], capture_output=True, text=True, check=True,
        env={**os.environ, "BANTIN_ARCHIVE": str(archive)},
    ).stdout)
    assert listed == [{"id": listed[0]["id"], "number": 7, "date": "2018-07", "title": None,
                       "pages": 1, "source": "scan.pdf", "visibility": "public"}]
    shown = json.loads(subprocess.run(
        [*bantin, "show", listed[0]["id"][:6], "--archive", str(archive), "--json"],
        capture_output=True, text=True, check=True,
    ).stdout)
    assert shown["pages"][0]["method"] == "ocr"
    assert "đứng đầu" in shown["pages"][0]["text"]
    missing = subprocess.run(
        [*bantin, "show", "ffff", "--archive", str(archive)], capture_output=True, text=True
    )
    assert missing.returncode == 5 and "no issue" in missing.stderr


def _text_layer_over_word(archive: Archive, issue_id: str, word: str) -> None:
    """The invisible text of ``word`` in issue.pdf overlaps the word's hOCR box."""
    import re

    page = archive.load_issue(issue_id).pages[0]
    hocr = archive.page_file(issue_id, 1, ".hocr").read_text(encoding="utf-8")
    box = re.search(rf"bbox (\d+) (\d+) (\d+) (\d+); x_wconf \d+'>{word}<", hocr)
    shown = subprocess.run(
        ["pdftotext", "-bbox", str(archive.issue_dir(issue_id) / "issue.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout
    number = r'"([\d.]+)"'
    found = re.search(rf"<word xMin={number} yMin={number} xMax={number} yMax={number}>{word}</word>", shown)
    assert box and found, (hocr[:300], shown[:300])
    x0, y0, x1, y1 = (int(v) * 72 / page.dpi for v in box.groups())
    px0, py0, px1, py1 = (float(v) for v in found.groups())
    # centres within half the word's height: the font's ascent pads the PDF box
    assert abs((x0 + x1) / 2 - (px0 + px1) / 2) < (y1 - y0) / 2 + 3
    assert abs((y0 + y1) / 2 - (py0 + py1) / 2) < (y1 - y0) / 2 + 3


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_pdf_page_text_layer_lies_over_the_words(tmp_path: Path, rotation: int) -> None:
    """A page stored sideways with /Rotate: OCR reads it upright and the invisible text in
    issue.pdf sits where the words are shown."""

    from bantin.samples import parse_sample

    issue = parse_sample("x", "Số 09 - Tháng 9/2022\nĐại hội chi bộ nhiệm kỳ mới")
    upright = render_issue(issue, dpi=TEST_DPI)
    # store the picture turned back by the rotation, so the viewer's /Rotate shows it upright
    stored = [p.rotate(rotation, expand=True) for p in upright]
    source = save_image_pdf(stored, tmp_path / "stored.pdf", TEST_DPI)
    writer = PdfWriter(clone_from=source)
    for page in writer.pages:
        page.rotate(rotation)
    rotated = tmp_path / "rotated.pdf"
    writer.write(rotated)
    report = ingest([rotated], tmp_path / "archive", IngestOptions(jobs=1))
    archive = Archive.open(tmp_path / "archive")
    issue_id = report.outcomes[0].issue_id or ""
    assert "Đại hội" in archive.page_text(issue_id, 1)
    _text_layer_over_word(archive, issue_id, "Đại")

def test_phone_photo_with_exif_orientation_is_read_upright(tmp_path: Path) -> None:

    from PIL import Image

    from bantin.samples import parse_sample

    issue = parse_sample("x", "Số 10 - Tháng 10/2022\nĐại hội đoàn viên thanh niên")
    upright = render_issue(issue, dpi=TEST_DPI)[0]
    folder = tmp_path / "anh-chup"
    folder.mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to show": the pixels are stored turned
    upright.rotate(90, expand=True).save(folder / "trang-1.jpg", exif=exif.tobytes(), quality=90)
    report = ingest([folder], tmp_path / "archive", IngestOptions(jobs=1))
    archive = Archive.open(tmp_path / "archive")
    issue_id = report.outcomes[0].issue_id or ""
    assert "Đại hội đoàn viên" in archive.page_text(issue_id, 1)
    page = archive.load_issue(issue_id).pages[0]
    assert page.width < page.height  # the portrait page, not the stored landscape pixels
    _text_layer_over_word(archive, issue_id, "Đại")
