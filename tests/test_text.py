"""Clean-up, metadata and discovery: the small pure stages."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bantin.samples import SampleIssue
from index.analysis import PageAnalysis, analyze
from pipeline.discover import SourceKind, discover
from pipeline.metadata import from_masthead, from_name, read_manifest, resolve
from vntext import canonical, clean_text, fold, normalize_syllable


def test_clean_text_nfc_tone_marks_hyphens_whitespace() -> None:
    decomposed = unicodedata.normalize("NFD", "Hoà bình")
    raw = f"{decomposed}   và  thuỷ\u00a0lợi\nphát-\ntriển Hà-\nNội\n\n\n\nBản tin\u0640\u0640 mới\u200b"
    cleaned = clean_text(raw)
    assert cleaned == "Hòa bình và thủy lợi\npháttriển Hà-Nội\n\nBản tin mới"
    assert unicodedata.is_normalized("NFC", cleaned)


@pytest.mark.parametrize(("raw", "clean"), [
    ("ngày82tháng 5 năm2026", "ngày 82 tháng 5 năm 2026"),  # OCR lost the spaces around a number
    ("Điều5, khoản2; tháng12/2024", "Điều 5, khoản 2; tháng 12/2024"),
    ("H5N1, COVID19, PCRT7TTKB, km2, 2a", "H5N1, COVID19, PCRT7TTKB, km2, 2a"),  # codes stay whole
])
def test_a_syllable_glued_to_a_number_is_parted(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_canonical_and_folded_forms() -> None:
    assert canonical("Hoà") == canonical("hòa") == "hòa"
    assert canonical("quý") == canonical("quí")
    assert canonical("Kỹ") == canonical("kĩ")
    assert canonical("tuy") != canonical("tui")  # u+y is not u+i
    assert canonical("y") == "y"  # a lone vowel keeps its spelling
    assert fold("Đảng viên sinh_hoạt") == "Dang vien sinh_hoat"


def test_analysis_round_trip_and_compounds() -> None:
    analysis = analyze("Sinh hoạt chi bộ ở xã Hòa Bình.")
    assert analysis.tokens[:4] == ["sinh", "hoạt", "chi", "bộ"]
    assert "sinh_hoạt" in analysis.words_text.split() and "chi_bộ" in analysis.words_text.split()
    assert "ở" in analysis.tokens  # single-letter syllables kept
    assert PageAnalysis.from_json(analysis.to_json()) == analysis


@pytest.mark.parametrize(
    ("text", "number", "date"),
    [
        ("THÔNG TIN SINH HOẠT CHI BỘ\nSố 05 - Tháng 5/2019\n...", 5, "2019-05"),
        ("Số 12 (345), ngày 15/6/2019", 12, "2019-06-15"),
        ("Bản tin tháng 6 năm 2019", None, "2019-06"),
        ("SỐ 3, ngày 2 tháng 9 năm 2020", 3, "2020-09-02"),
        ("Số 7 - Tháng 13/2019", 7, None),  # no month 13: unknown, not guessed
        ("Nâng cao chất lượng sinh hoạt", None, None),
    ],
)
def test_masthead(text: str, number: int | None, date: str | None) -> None:
    meta = from_masthead(text)
    assert (meta.number, meta.date) == (number, date)


@pytest.mark.parametrize(
    ("name", "number", "date"),
    [
        ("ban-tin-so-05-thang-05-2019.pdf", 5, "2019-05"),
        ("2019-05_so05", 5, "2019-05"),
        ("BT_15.06.2019.pdf", None, "2019-06-15"),
        ("Bản tin số 12 tháng 6 năm 2020.tif", 12, "2020-06"),
        ("scan0001.pdf", None, None),
    ],
)
def test_file_names(name: str, number: int | None, date: str | None) -> None:
    meta = from_name(name)
    assert (meta.number, meta.date) == (number, date)


def test_manifest_then_masthead_then_name(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,number,date,title\nso-05-2019.pdf,,2019-05-20,\n", encoding="utf-8")
    meta = resolve("so-05-2019.pdf", "Số 6 - Tháng 5/2019", read_manifest(manifest))
    assert (meta.number, meta.date, meta.title) == (6, "2019-05-20", None)
    assert meta.provenance == {"date": "manifest", "number": "masthead"}


def test_discover_natural_order_and_loops(tmp_path: Path) -> None:
    from PIL import Image

    issue = tmp_path / "issue"
    issue.mkdir()
    for n in (10, 2, 1):
        Image.new("L", (40, 40), 255).save(issue / f"trang-{n}.png")
    (issue / "ghi-chu.txt").write_text("x", encoding="utf-8")
    (issue / "back").symlink_to(tmp_path, target_is_directory=True)
    found = discover([tmp_path])
    assert len(found.sources) == 1 and not found.rejected
    source = found.sources[0]
    assert source.kind is SourceKind.images
    assert [p.name for p in source.files] == ["trang-1.png", "trang-2.png", "trang-10.png"]


def test_discover_sniffs_content_not_names(tmp_path: Path) -> None:
    (tmp_path / "really-a-png.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    (tmp_path / "empty.tif").write_bytes(b"")
    found = discover([tmp_path / "really-a-png.pdf", tmp_path / "empty.tif", tmp_path / "missing.pdf"])
    assert [s.kind for s in found.sources] == [SourceKind.images]
    assert sorted(r.reason for r in found.rejected) == ["empty file (0 bytes)", "no such file or folder"]


def test_image_over_the_pixel_limit_is_refused_from_its_header(tmp_path: Path) -> None:
    import struct
    import zlib

    from pipeline import IngestOptions, ingest

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)  # 400 Mpx, grey
    bomb = tmp_path / "trang-1.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    report = ingest([tmp_path], tmp_path / "archive", IngestOptions(jobs=1))
    assert [o.status.value for o in report.outcomes] == ["failed"]
    assert "too large" in report.outcomes[0].message and "trang-1.png" in report.outcomes[0].message


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
        b"%PDF-1.7\n\x00\x01\x02garbage",
        b"%PDF-1.4\n3 0 obj << /Type /Page /MediaBox [0 0 -5 abc] >> endobj\n%%EOF",
    ],
)
def test_malformed_pdfs_fail_alone_with_one_line(tmp_path: Path, data: bytes) -> None:
    from pipeline import IngestOptions, ingest

    (tmp_path / "hong.pdf").write_bytes(data)
    report = ingest([tmp_path / "hong.pdf"], tmp_path / "archive", IngestOptions(jobs=1))
    [outcome] = report.outcomes
    assert outcome.status.value == "failed" and "PDF" in outcome.message and "\n" not in outcome.message
    assert not any((tmp_path / "archive" / "issues").iterdir())


def test_tone_style_is_underthesea_s_without_loading_its_pipeline(samples: dict[str, SampleIssue]) -> None:
    """normalize_syllable reads underthesea's rules file itself: the same forms as its
    token_normalize, and a page worker's imports never load underthesea's NLP."""
    import subprocess
    import sys

    from underthesea.pipeline.text_normalize import token_normalize

    tokens = {t for issue in samples.values() for page in issue.pages for p in page for t in p.split()}
    tokens |= {"hoà", "thuỷ", "Thuở", "HOÀ", unicodedata.normalize("NFD", "khoẻ"), "quí", "tuỳ"}
    assert all(normalize_syllable(t) == str(token_normalize(t)) for t in tokens)
    probe = ("import sys, pipeline.pages, vntext.diacritics as d; d.default_model(); "
             "from vntext import clean_text; clean_text('hoà bình'); "
             "print(sorted(m for m in sys.modules if m.startswith('underthesea')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
