"""Diacritic correction after OCR (vntext.diacritics through pipeline.correct): marks put
back from context and Tesseract's own alternatives, names and numbers left alone, the raw
reading kept, the hOCR boxes on the corrected words; the model recorded per page."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from archive import Archive
from archive.hocr import word_boxes
from bantin.samples import render_page, save_image_folder
from pipeline import IngestOptions, ingest
from pipeline.ocr import model_checksum
from tests.conftest import TEST_DPI, word_accuracy, words_of
from vntext.diacritics import DiacriticModel, OcrWord, default_model

BANTIN = str(Path(sys.executable).parent / "bantin")
REAL_SCANS = Path(
    os.environ.get("BANTIN_REAL_SCANS", Path(__file__).resolve().parents[2] / "shared" / "real-scans")
)


@pytest.fixture(scope="module")
def model() -> DiacriticModel:
    return default_model()


def read(text: str, doubt: dict[str, tuple[tuple[str, float], ...]] | None = None) -> list[OcrWord]:
    """Words as OCR would give them; ``doubt`` gives a word's alternatives at the
    character Tesseract hesitated on (the others are certain)."""
    words = []
    for token in text.split():
        choices = tuple(
            doubt[token] if doubt and token in doubt and c == doubt[token][0][0] else ((c, 95.0),)
            for c in token
        )
        words.append(OcrWord(token, choices=choices))
    return words


def corrected(model: DiacriticModel, words: list[OcrWord]) -> str:
    out = [w.text for w in words]
    for change in model.correct(words):
        out[change.index] = change.corrected
    return " ".join(out)


def test_marks_ocr_doubted_are_put_back_from_their_neighbours(model: DiacriticModel) -> None:
    # the wrong mark read first, the right one among Tesseract's alternatives
    line = read("Chi bộ đã bỗ sung cán bộ có thâm quyền về tô chức",
                {"bỗ": (("ỗ", 90.0), ("ổ", 60.0)), "thâm": (("â", 92.0), ("ẩ", 55.0)),
                 "tô": (("ô", 96.0), ("ổ", 59.0))})
    assert corrected(model, line) == "Chi bộ đã bổ sung cán bộ có thẩm quyền về tổ chức"
    caps = read("QUYÉT ĐỊNH VỀ KÉ HOẠCH",
                {"QUYÉT": (("É", 88.0), ("Ế", 40.0)), "KÉ": (("É", 80.0), ("Ế", 50.0))})
    assert corrected(model, caps) == "QUYẾT ĐỊNH VỀ KẾ HOẠCH"


def test_what_ocr_did_not_doubt_names_and_numbers_stay(model: DiacriticModel) -> None:
    # without an alternative seen on the page, a common word is not changed to a likelier one
    sure = "Chị ấy nói chỉ bộ đội mới đến được bản"
    assert corrected(model, read(sure)) == sure
    # a name inside a sentence stays as read, even when OCR doubted it
    names = read("ông Phạm Văn Tùng ở Đà Nẵng",
                 {"Tùng": (("ù", 90.0), ("ư", 80.0)), "Nẵng": (("ẵ", 90.0), ("ă", 85.0))})
    assert corrected(model, names) == "ông Phạm Văn Tùng ở Đà Nẵng"
    assert corrected(model, read("năm 2026 có 15 chi bộ")) == "năm 2026 có 15 chi bộ"
    # a clean paragraph written for bantin, read with certainty, comes back unchanged
    text = ("Đảng bộ xã tổ chức hội nghị sơ kết sáu tháng đầu năm, đánh giá kết quả thực hiện "
            "nghị quyết và đề ra nhiệm vụ trọng tâm của các chi bộ thôn trong thời gian tới.")
    assert model.correct(read(text)) == []


def test_a_word_ocr_was_sure_of_needs_more_evidence(model: DiacriticModel) -> None:
    # the same reading and the same alternatives: Tesseract's own word confidence decides
    doubt = {"nghỉ": (("ỉ", 92.0), ("i", 60.0))}

    def with_confidence(confidence: float) -> list[OcrWord]:
        return [replace(w, confidence=confidence) if w.text == "nghỉ" else w
                for w in read("đối tượng nghỉ vấn", doubt)]

    assert corrected(model, with_confidence(55)) == "đối tượng nghi vấn"
    assert corrected(model, with_confidence(99)) == "đối tượng nghỉ vấn"


def _bag_error(truth: str, read_text: str) -> float:
    want, got = Counter(words_of(truth)), Counter(words_of(read_text))
    return (want - got).total() / want.total()


@pytest.mark.skipif(not (REAL_SCANS / "truth.json").is_file(), reason=f"no real scans at {REAL_SCANS}")
def test_a_real_scan_reads_better_and_keeps_its_raw_reading(tmp_path: Path) -> None:
    truth = json.loads((REAL_SCANS / "truth.json").read_text(encoding="utf-8"))
    name = "vn_gov_qd707_ttg_p3.png"  # dense prose: the closest page to a bulletin
    page = tmp_path / name
    shutil.copy(REAL_SCANS / name, page)
    archives = {}
    for correct in (True, False):
        root = tmp_path / f"archive-{correct}"
        assert ingest([page], root, IngestOptions(jobs=1, correct=correct)).ok
        archives[correct] = Archive.open(root)
    issue = archives[True].issues()[0]
    fixed = archives[True].page_text(issue.id, 1)
    raw = archives[False].page_text(issue.id, 1)
    assert _bag_error(truth[name]["text"], fixed) < _bag_error(truth[name]["text"], raw)
    # the raw reading is kept, and equals what OCR gave without correction
    raw_file = archives[True].page_file(issue.id, 1, ".raw.txt").read_text(encoding="utf-8")
    assert raw_file == archives[False].page_file(issue.id, 1, ".raw.txt").read_text(encoding="utf-8")
    record = issue.pages[0]
    hocr = archives[True].page_file(issue.id, 1, ".hocr").read_text(encoding="utf-8")
    assert record.corrected == hocr.count("x_raw") > 0
    assert "lstm_choices" not in hocr  # the alternatives are not stored
    # each corrected word keeps its box: the hOCR words are the page text's words
    assert [w for b in word_boxes(hocr) for w in words_of(b.text)] == words_of(fixed)
    changed = re.findall(r"x_raw ([^'\"]+)['\"][^>]*>([^<]+)<", hocr)
    assert all(raw_word != new and raw_word in raw_file for raw_word, new in changed)
    # issue.pdf's text layer holds the corrected words too
    layer = subprocess.run(["pdftotext", str(archives[True].issue_dir(issue.id) / "issue.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert all(new in layer.split() for _, new in changed)


def test_a_rendered_page_is_not_made_worse(tmp_path: Path) -> None:
    """Text written for bantin, printed and read: correction may only help."""
    paragraphs = [
        "Chi bộ thôn Đông tổ chức sinh hoạt chuyên đề về học tập và làm theo tư tưởng, đạo đức, "
        "phong cách Hồ Chí Minh, gắn với nhiệm vụ phát triển kinh tế của địa phương.",
        "Các đảng viên thảo luận sôi nổi, chỉ ra những hạn chế trong công tác vận động nhân dân "
        "tham gia xây dựng nông thôn mới và đề xuất giải pháp khắc phục trong quý tới.",
    ]
    folder = save_image_folder([render_page(paragraphs, dpi=TEST_DPI, noise=0.4, seed=3)], tmp_path / "trang")
    texts = {}
    for correct in (True, False):
        root = tmp_path / f"archive-{correct}"
        assert ingest([folder], root, IngestOptions(jobs=1, correct=correct)).ok
        store = Archive.open(root)
        texts[correct] = store.page_text(store.issues()[0].id, 1)
    expected = "\n".join(paragraphs)
    assert word_accuracy(expected, texts[True]) >= word_accuracy(expected, texts[False]) > 0.9


def test_the_model_and_its_checksum_are_recorded(tmp_path: Path) -> None:
    installed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True)
    tessdata = Path(re.search(r'"([^"]+)"', installed.stdout + installed.stderr).group(1))  # type: ignore[union-attr]
    mine = tmp_path / "models dir"  # a space: the path must reach Tesseract whole
    mine.mkdir()
    shutil.copy(tessdata / "vie.traineddata", mine / "vie.traineddata")
    folder = save_image_folder([render_page(["Nghị quyết của chi bộ"], dpi=TEST_DPI)], tmp_path / "trang")
    done = subprocess.run([BANTIN, "ingest", str(folder), "--archive", str(tmp_path / "a"),
                           "--tessdata-dir", str(mine), "--no-index"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    page = Archive.open(tmp_path / "a").issues()[0].pages[0]
    expected = hashlib.sha256(hashlib.sha256((mine / "vie.traineddata").read_bytes()).digest()).hexdigest()
    assert page.ocr_model == "vie" and page.ocr_model_sha256 == expected == model_checksum("vie", None)
    missing = subprocess.run([BANTIN, "ingest", str(folder), "--archive", str(tmp_path / "b"),
                              "--tessdata-dir", str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert missing.returncode == 4
    assert missing.stderr.strip().splitlines()[-1].endswith("nowhere: no such tessdata folder")


def test_the_statistics_are_cached_and_a_broken_cache_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: DiacriticModel
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    build = default_model.__wrapped__  # past the per-process cache
    assert build().counts() == model.counts()
    [cached] = (tmp_path / "bantin").glob("diacritics-*.marshal")
    cached.write_bytes(b"\x00broken")
    assert build().counts() == model.counts()  # rebuilt from the sources, and rewritten
    assert cached.stat().st_size > 100_000
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    (tmp_path / "file").write_text("not a folder")  # a cache that cannot be written is skipped
    assert build().counts() == model.counts()


def test_the_text_layer_of_issue_pdf_holds_the_corrected_words(tmp_path: Path) -> None:
    """Tesseract's invisible layer draws the hOCR's words in order: a corrected word
    replaces its own string there, at the same place; every other word stays."""
    from pipeline.correct import correct_text_layer
    from pipeline.ocr import Tesseract
    from vntext.diacritics import Correction

    page = render_page(["Chi bộ thôn Đông họp bàn việc tô chức lớp học nghị quyết"], dpi=TEST_DPI)
    page.save(tmp_path / "trang.png", dpi=(TEST_DPI, TEST_DPI))
    read = Tesseract().recognize(tmp_path / "trang.png", TEST_DPI, tmp_path)
    words = [b.text for b in word_boxes(read.hocr)]
    at = words.index("tô") if "tô" in words else words.index("tổ")
    other = "tổ" if words[at] == "tô" else "tô"
    fixed = correct_text_layer(read.pdf, [Correction(at, words[at], other)])
    (tmp_path / "layer.pdf").write_bytes(fixed)
    shown = subprocess.run(["pdftotext", str(tmp_path / "layer.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout.split()
    assert shown == words[:at] + [other] + words[at + 1:]
    # a correction that does not match the layer leaves it as OCR gave it
    assert correct_text_layer(read.pdf, [Correction(at, "khác", "khắc")]) == read.pdf
