"""Regenerate the small sample files in tests/resources (run from the repo root).

    .venv/bin/python tests/resources/make_resources.py
"""

from pathlib import Path

from pypdf import PdfReader, PdfWriter

from bantin.samples import parse_sample, render_issue, save_image_pdf

HERE = Path(__file__).parent
TEXT = """THÔNG TIN SINH HOẠT CHI BỘ
Số 07 - Tháng 7/2018
Phát huy vai trò người đứng đầu
Người đứng đầu cấp ủy phải gương mẫu, nói đi đôi với làm,
chịu trách nhiệm về kết quả công việc của đơn vị mình.
"""


def main() -> None:
    issue = parse_sample("so-07-2018", TEXT)
    scan = save_image_pdf(render_issue(issue, dpi=100), HERE / "scan-so-07-2018.pdf", dpi=100)
    data = scan.read_bytes()
    (HERE / "truncated.pdf").write_bytes(data[: len(data) // 3])
    writer = PdfWriter(clone_from=PdfReader(scan))
    writer.encrypt(user_password="mat-khau", owner_password="mat-khau")
    with (HERE / "encrypted.pdf").open("wb") as f:
        writer.write(f)
    (HERE / "empty.pdf").write_bytes(b"")
    (HERE / "not-a-scan.pdf").write_text("Đây không phải là tệp PDF.\n", encoding="utf-8")
    jpeg = HERE / "truncated.jpg"
    render_issue(issue, dpi=100)[0].save(jpeg, "JPEG", quality=80)
    jpeg.write_bytes(jpeg.read_bytes()[:4000])


if __name__ == "__main__":
    main()
