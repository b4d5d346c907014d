"""Write the bad-input suite: every kind of broken file an archivist will meet, beside a few
good scans with awkward names. ``python tests/resources/make_bad.py [FOLDER]`` writes it
(default: tests/resources/bad/); the tests write it into a temporary folder.

Returns, for each input, the file or folder and the words its one-line reason must hold.
"""

from __future__ import annotations

import io
import os
import re
import struct
import sys
import zlib
from pathlib import Path

from pypdf import PdfWriter

from bantin.samples import SampleIssue, render_issue, save_image_pdf, save_text_pdf

GOOD = SampleIssue("tot", [["Chi bộ thôn Đông tổ chức sinh hoạt chuyên đề về chuyển đổi số."]])


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _raw_pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def type3_without_unicode() -> bytes:
    """A page drawn with a Type 3 font that has no Unicode map: its "text layer" is
    control characters, which pdftotext cannot turn into well-formed output."""
    glyph = _stream(b"750 0 0 0 750 750 d1\n0 0 600 700 re f")
    text = b"BT /F1 24 Tf 72 700 Td " + b" ".join(b"<0102030102030102> Tj 0 -30 Td" for _ in range(10))
    return _raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(text + b" ET"),
        b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 750 750] /FontMatrix [0.001 0 0 0.001 0 0] "
        b"/CharProcs 6 0 R /Encoding << /Type /Encoding /Differences [1 /g1 /g2 /g3] >> "
        b"/FirstChar 1 /LastChar 3 /Widths [750 750 750] /Resources << >> >>",
        b"<< /g1 7 0 R /g2 8 0 R /g3 9 0 R >>",
        glyph, glyph, glyph,
    ])


def broken_xref(good: bytes) -> bytes:
    """A born-digital PDF whose cross-reference table is garbage (qpdf rebuilds it)."""
    start = good.rindex(b"\nxref") + 1
    return good[:start] + b"xref\n0 3\ngarbage garbage\n" + good[good.index(b"trailer", start):]


def write_bad_inputs(folder: Path) -> dict[str, tuple[Path, str]]:
    """Write the suite into ``folder``; returns {case: (path, expected words in its line)}."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[Path, str]] = {}

    def put(case: str, name: str, data: bytes, expect: str) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        # a broken page is reported on its folder's line (the issue), by its own name
        cases[case] = (path.parent if path.parent != folder else path, expect)

    good_pdf = save_text_pdf(GOOD, folder / "_good.pdf").read_bytes()
    (folder / "_good.pdf").unlink()
    put("zero bytes", "rong.pdf", b"", "empty file")
    put("truncated PDF", "cut.pdf", good_pdf[: len(good_pdf) // 3], "PDF")
    put("HTML saved as .pdf", "trang-web.pdf", b"<!doctype html><html><body>404</body></html>",
        "not a PDF or an image")
    writer = PdfWriter(clone_from=io.BytesIO(good_pdf))
    writer.encrypt("mat-khau")
    with (folder / "khoa.pdf").open("wb") as out:
        writer.write(out)
    cases["encrypted PDF"] = (folder / "khoa.pdf", "encrypted")
    put("PDF of 0 pages", "khong-trang.pdf", _raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]), "no pages")
    # one page folder holding every kind of broken page image, beside a good page
    pages = folder / "so-hong"
    pages.mkdir()
    render_issue(GOOD, dpi=100)[0].save(pages / "trang-1.png")
    put("random bytes as .jpg", "so-hong/trang-2.jpg", os.urandom(4096), "trang-2.jpg")
    jpeg = io.BytesIO()
    render_issue(GOOD, dpi=100)[0].convert("RGB").save(jpeg, "JPEG")
    put("truncated JPEG", "so-hong/trang-3.jpg", jpeg.getvalue()[: len(jpeg.getvalue()) // 2], "trang-3.jpg")
    put("fake TIFF", "so-hong/trang-4.tif", b"II*\x00" + os.urandom(2000), "trang-4.tif")
    bomb = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 40_000, 40_000, 8, 0, 0, 0, 0))
    put("1.6-gigapixel PNG", "so-hong/trang-5.png", b"\x89PNG\r\n\x1a\n" + bomb + _png_chunk(b"IEND", b""),
        "trang-5.png")
    notes = folder / "ghi-chu"
    notes.mkdir()
    (notes / "doc-truoc.txt").write_text("Chỉ có ghi chú, không có ảnh trang.", encoding="utf-8")
    cases["folder with no images"] = (notes, "no page images")
    # good inputs the broken ones must not stop
    loop = folder / "vong-lap"
    loop.mkdir()
    render_issue(GOOD, dpi=100)[0].save(loop / "trang-1.png")
    (loop / "chinh-no").symlink_to(loop, target_is_directory=True)
    cases["folder holding a symlink to itself"] = (loop, "")
    awkward = "Bản tin số 7 $(touch pwned) `id`\nmới.pdf"
    save_image_pdf(render_issue(SampleIssue("x", [["Hội nông dân xã tập huấn kỹ thuật trồng lúa."]]),
                                dpi=100), folder / awkward, 100)
    cases["spaces, Vietnamese letters, a newline and $(...)"] = (folder / awkward, "")
    put("repairable PDF (broken xref)", "xref-hong.pdf", broken_xref(good_pdf), "repaired")
    put("Type 3 font without a Unicode map", "type3.pdf", type3_without_unicode(), "")
    palette = render_issue(GOOD, dpi=100)[0].convert("P")
    palette_folder = folder / "bang-mau"
    palette_folder.mkdir()
    palette.save(palette_folder / "trang-1.png")
    cases["palette-mode PNG page"] = (palette_folder, "")
    return cases


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "bad"
    for case, (path, _) in write_bad_inputs(target).items():
        shown = re.sub(r"\s", " ", str(path))
        print(f"{case}: {shown}")
