"""A person corrects a line OCR misread: the page's text, hOCR and searchable issue.pdf
carry the new words, the machine reading stays stored and searchable, the change is kept
with who and when, fixity holds, and a correction cut short by a crash is finished or
undone. Real Tesseract on a page rendered from text written for the tests; the editor in
a real Chromium against `bantin serve`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from archive import Archive
from archive.corrections import corrections
from archive.hocr import hocr_lines, word_boxes
from bantin.samples import SampleIssue, render_issue, save_image_pdf
from index import open_index, search
from tests.archives import ingest_into
from tests.conftest import TEST_DPI
from tests.test_accounts import add_user, login, sign_in
from tests.test_browser import Served, browser, serve, shoot

__all__ = ["browser"]

BANTIN = str(Path(sys.executable).parent / "bantin")
PAGE = [["Chi bộ thôn Bắc tổ chức sinh hoạt chuyên đề về giữ gìn vệ sinh môi trường.",
         "Mỗi đảng viên nhận trồng mười cây xanh dọc đường liên thôn trong mùa xuân."]]


def scanned_archive(root: Path) -> Path:
    (root / "in").mkdir(parents=True)
    save_image_pdf(render_issue(SampleIssue("s", PAGE), dpi=TEST_DPI), root / "in" / "ban-tin-so-06-2022.pdf",
                   TEST_DPI)
    ingest_into(root / "archive", [root / "in"])
    return root / "archive"


def bantin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BANTIN, *args], capture_output=True, text=True, check=False)


def correct(archive: Path, issue: str, line: int | str, text: str) -> subprocess.CompletedProcess[str]:
    return bantin("correct", issue, "--page", "1", "--line", str(line), "--text", text,
                  "--archive", str(archive))


def pdf_text(pdf: Path, n: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def target_line(archive: Path) -> tuple[str, int, str]:
    record = Archive.open(archive).issues()[0]
    hocr = Archive.open(archive).page_file(record.id, 1, ".hocr").read_text("utf-8")
    line = next(line for line in hocr_lines(hocr) if "trồng" in line.text or "cây" in line.text)
    return record.id, line.index, line.text


def test_a_corrected_line_reaches_text_hocr_pdf_and_search(tmp_path: Path) -> None:
    archive = scanned_archive(tmp_path)
    issue, k, read = target_line(archive)
    before_hocr = Archive.open(archive).page_file(issue, 1, ".hocr").read_text("utf-8")
    before_text = Archive.open(archive).page_text(issue, 1)
    # a misreading a person fixes: the line is replaced by what the page prints, with a
    # word the scan never had so that it can be told apart everywhere
    new = "Mỗi đảng viên nhận trồng năm cây sao ở Quỳnh Lưu"
    done = correct(archive, issue[:8], k, new)
    assert done.returncode == 0, done.stderr
    assert f"line {k}" in done.stdout
    store = Archive.open(archive)
    text = store.page_text(issue, 1)
    assert new in text and read not in text
    hocr = store.page_file(issue, 1, ".hocr").read_text("utf-8")
    [line] = [line for line in hocr_lines(hocr) if line.index == k]
    assert line.text == new and len(line.words) == len(new.split())
    old_line = next(x for x in hocr_lines(before_hocr) if x.index == k)
    assert (line.x0, line.y0, line.x1, line.y1) == (old_line.x0, old_line.y0, old_line.x1, old_line.y1)
    assert all(old_line.x0 <= w.x0 < w.x1 <= old_line.x1 for w in line.words)
    assert len(hocr_lines(hocr)) == len(hocr_lines(before_hocr))  # every other line as it was
    # the machine reading kept, once
    assert store.page_file(issue, 1, ".ocr.hocr").read_text("utf-8") == before_hocr
    assert store.page_file(issue, 1, ".ocr.txt").read_text("utf-8") == before_text
    [change] = corrections(store, issue, 1)
    assert (change.line, change.old, change.new, change.by) == (k, read, new, None)
    # the searchable PDF carries the new words
    layer = pdf_text(store.issue_dir(issue) / "issue.pdf", 1)
    assert "Quỳnh" in layer and "Lưu" in layer
    checked = bantin("verify", "--archive", str(archive))
    assert checked.returncode == 0, checked.stdout  # the checksums followed
    index = open_index(archive)
    found = search(index, "quynh luu")
    assert found.total == 1 and "Quỳnh Lưu" in found.hits[0].snippet
    as_read = " ".join(read.split()[-4:])  # "cây xanh dọc đường": now only in the machine reading
    assert as_read not in text and search(index, as_read).total == 1  # still found as OCR read it
    # again on the same line: two entries, the first reading still the one kept
    again = "Mỗi đảng viên nhận trồng mười cây xanh dọc đường"
    assert correct(archive, issue, k, again).returncode == 0
    assert [c.new for c in corrections(Archive.open(archive), issue, 1)] == [new, again]
    assert Archive.open(archive).page_file(issue, 1, ".ocr.hocr").read_text("utf-8") == before_hocr
    assert search(open_index(archive), "quynh luu").total == 0
    same = correct(archive, issue, k, again)
    assert same.returncode == 0 and "no change" in same.stdout
    missing = correct(archive, issue, 999, "x")
    assert missing.returncode == 3 and "no line 999" in missing.stderr
    empty = correct(archive, issue, k, " ")
    assert empty.returncode == 3 and "cannot be emptied" in empty.stderr


def test_a_correction_cut_short_is_finished_or_undone(tmp_path: Path) -> None:
    archive = scanned_archive(tmp_path)
    issue, k, _ = target_line(archive)
    store = Archive.open(archive)
    folder = store.issue_dir(issue)
    text = store.page_text(issue, 1)
    # crashed before its record was complete: the new files are dropped
    (archive / ".replacing").mkdir()
    (archive / ".replacing" / issue).write_text('["pages/0001.txt"]', "utf-8")
    (folder / "pages" / "0001.txt.new").write_text("half written", "utf-8")
    with store.writer_lock("test"):
        pass
    assert store.page_text(issue, 1) == text and not (folder / "pages" / "0001.txt.new").exists()
    # crashed after: the next writer finishes it
    record = store.load_issue(issue)
    (archive / ".replacing" / issue).write_text('["pages/0001.txt"]', "utf-8")
    (folder / "pages" / "0001.txt.new").write_text("corrected text", "utf-8")
    import hashlib

    pending = record.to_dict()
    pending["files"]["pages/0001.txt"] = hashlib.sha256(b"corrected text").hexdigest()
    (folder / "issue.json.pending").write_text(json.dumps(pending), "utf-8")
    with store.writer_lock("test"):
        pass
    assert store.page_text(issue, 1) == "corrected text" and not (folder / "issue.json.pending").exists()
    assert store.verify(issue) == []
    assert k >= 0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    archive = scanned_archive(tmp_path_factory.mktemp("correct"))
    add_user(archive, "luu-tru", "archivist")
    add_user(archive, "doc-gia", "reader")
    yield from serve(archive)


def test_an_archivist_corrects_a_line_in_the_browser(site: Served, browser: Browser) -> None:
    issue, k, read = target_line(site.archive)
    editor = f"/issues/{issue}/pages/1/correct"
    assert httpx.get(site.url + editor).status_code == 303
    assert httpx.get(site.url + f"/issues/{issue}/pages/1/lines/{k}.jpg").status_code == 303
    reader = login(site.url, "doc-gia")
    assert reader.get(editor).status_code == 403 and reader.get("/review").status_code == 403
    archivist = login(site.url, "luu-tru")
    assert archivist.post(f"/issues/{issue}/pages/1/lines/{k}", data={"text": "x"}).status_code == 403
    crop = archivist.get(f"/issues/{issue}/pages/1/lines/{k}.jpg")
    assert crop.status_code == 200 and crop.content[:2] == b"\xff\xd8"
    assert archivist.get("/review").status_code == 200
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    sign_in(page, site.url, "luu-tru", f"{editor}")
    row = page.locator(f"#line-{k}")
    assert row.locator("input[name=text]").input_value() == read
    # the crop loads after the page does (lazily, and on a slow machine late): wait for it
    page.wait_for_function(
        "sel => { const img = document.querySelector(sel); return img.complete && img.naturalWidth > 50 }",
        arg=f"#line-{k} img",
        timeout=15_000,
    )
    old_tail = " ".join(read.split()[-2:])  # "dọc đường": the words the correction replaces
    fixed = " ".join([*read.split()[:-2], "ở", "Quỳnh", "Lưu"])
    row.locator("input[name=text]").fill(fixed)
    row.locator("button").click()
    page.wait_for_load_state()
    assert f"Đã lưu dòng {k}" in page.inner_text("main")
    assert "luu-tru" in page.inner_text("#history")
    assert page.locator(f"#line-{k} input[name=text]").input_value() == " ".join(fixed.split())
    shoot(page, "correct-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(f"{site.url}/issues/{issue}/pages/1?q=quynh+luu")
    assert "1 dòng đã được người soát sửa" in page.inner_text("main")
    assert page.locator("rect.hitbox").count() >= 2  # the new words outlined where the line stands
    context.close()
    [change] = corrections(Archive.open(site.archive), issue, 1)
    assert change.by == "luu-tru" and change.old == read
    hits = httpx.get(site.url + "/api/search", params={"q": "quynh luu"}).json()["hits"]
    assert hits and re.search("Quỳnh Lưu", hits[0]["snippet"])
    words = {w.text for w in word_boxes(Archive.open(site.archive).page_file(issue, 1, ".hocr").read_text())}
    assert {"Quỳnh", "Lưu"} <= words
    # found by the corrected words and by the old reading, which the page no longer shows
    assert old_tail not in Archive.open(site.archive).page_text(issue, 1)
    by_old = httpx.get(site.url + "/api/search", params={"q": f'"{old_tail}"'}).json()
    assert by_old["total"] == 1 and by_old["hits"][0]["issue"] == issue
