"""The archivists' workbench in a real Chromium against `bantin serve`: upload scans
(a PDF, a ZIP of a page folder, a file that is no scan) with a manifest, follow the job
until each file's outcome shows; and the pieces a hostile upload meets."""

from __future__ import annotations

import csv
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from archive import Archive
from bantin.jobs import unpack_zip
from bantin.samples import SampleIssue, render_issue, save_image_folder, save_image_pdf, save_text_pdf
from bantin.watch import WatchFolder
from bantin.web.workbench import upload_name
from tests.conftest import TEST_DPI
from tests.test_accounts import add_user, login, sign_in
from tests.test_browser import Served, browser, serve, shoot

__all__ = ["browser"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    work = tmp_path_factory.mktemp("workbench")
    (work / "in").mkdir()
    save_text_pdf(SampleIssue("a", [["Chi bộ thôn Tây sinh hoạt chuyên đề về phòng chống thiên tai."]]),
                  work / "in" / "ban-tin-so-01-thang-01-2021.pdf")
    archive = work / "archive"
    from bantin.ingesting import index_hooks
    from index import IngestIndexer
    from pipeline import IngestOptions, ingest

    assert ingest([work / "in"], archive, IngestOptions(jobs=1), index_hooks(IngestIndexer(archive))).ok
    add_user(archive, "luu-tru", "archivist")
    add_user(archive, "doc-gia", "reader")
    yield from serve(archive)


def test_an_archivist_uploads_scans_and_follows_the_job(
    site: Served, browser: Browser, tmp_path: Path
) -> None:
    pdf = tmp_path / "so-moi.pdf"
    save_text_pdf(SampleIssue("b", [["Hội nghị bàn về chuyển đổi số ở xã Hòa Bình."]]), pdf)
    folder = save_image_folder(render_issue(SampleIssue("c", [["Đảng viên thôn Đông trồng rừng phòng hộ "
                                                               "ven biển, giữ đất giữ làng."]]),
                                            dpi=TEST_DPI), tmp_path / "ban-tin-so-02-2021")
    zipped = tmp_path / "trang-quet.zip"
    with zipfile.ZipFile(zipped, "w") as out:
        for page in folder.iterdir():
            out.write(page, f"{folder.name}/{page.name}")
    scanned = tmp_path / "ban-tin-so-03-2021.pdf"  # a scanned PDF: its page is OCR'd
    save_image_pdf(render_issue(SampleIssue("d", [["Chi bộ khu phố tổ chức hiến máu nhân đạo đầu xuân."]]),
                                dpi=TEST_DPI), scanned, TEST_DPI)
    junk = tmp_path / "ghi-chu.pdf"
    junk.write_text("không phải bản quét", "utf-8")
    manifest = tmp_path / "bang-ke.csv"
    with manifest.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([["file", "number", "date", "title"],
                                   ["so-moi.pdf", "9", "2022-09", "Số chuyển đổi số"]])
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    sign_in(page, site.url, "luu-tru", "/upload")
    assert page.url.endswith("/upload")
    page.set_input_files("input[name=files]", [str(pdf), str(scanned), str(zipped), str(junk)])
    page.set_input_files("input[name=manifest]", str(manifest))
    shoot(page, "upload-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("form.upload button[type=submit]")
    page.wait_for_load_state()
    assert "/jobs/" in page.url
    page.wait_for_selector("text=xong", timeout=120_000)  # the page refreshes itself until then
    shoot(page, "job-360")
    rows = {r.locator("td").nth(0).inner_text(): r.locator("td").nth(1).inner_text()
            for r in page.locator("#outcomes tbody tr").all()}
    assert rows == {"so-moi.pdf": "đã thêm", "ban-tin-so-03-2021.pdf": "đã thêm",
                    "trang-quet/ban-tin-so-02-2021": "đã thêm", "ghi-chu.pdf": "lỗi"}
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    records = {r.source: r for r in Archive.open(site.archive).issues()}
    assert records["so-moi.pdf"].number == 9 and records["so-moi.pdf"].title == "Số chuyển đổi số"
    assert len(records["ban-tin-so-02-2021"].pages) == 1
    found = httpx.get(site.url + "/api/search", params={"q": "trong rung phong ho"}).json()["hits"]
    assert found and found[0]["issue"] == records["ban-tin-so-02-2021"].id
    assert records["ban-tin-so-03-2021.pdf"].pages[0].method == "ocr"
    found = httpx.get(site.url + "/api/search", params={"q": "hien mau nhan dao"}).json()["hits"]
    assert found and found[0]["issue"] == records["ban-tin-so-03-2021.pdf"].id
    assert not list((site.archive / "uploads").iterdir())  # a finished job leaves no files behind


def test_a_reader_is_refused_every_workbench_action_in_the_browser(site: Served, browser: Browser) -> None:
    issue = Archive.open(site.archive).issues()[0].id
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, site.url, "doc-gia", "/")
    assert "Nhập" not in page.inner_text("nav.account")  # no workbench links for a reader
    for path in ("/upload", "/review", "/usage", "/jobs/1", f"/issues/{issue}/edit",
                 f"/issues/{issue}/pages/1/correct", "/accounts", "/report/searches"):
        answer = page.goto(site.url + path)
        assert answer is not None and answer.status == 403, path
        assert "Không có quyền" in page.inner_text("h1"), path
    assert page.locator("form.upload").count() == 0
    context.close()


def test_uploads_need_an_archivist_and_the_forms_token(site: Served, tmp_path: Path) -> None:
    files = {"files": ("x.pdf", b"%PDF-1.4", "application/pdf")}
    assert httpx.get(site.url + "/upload").status_code == 303
    reader = login(site.url, "doc-gia")
    assert reader.get("/upload").status_code == 403
    assert reader.post("/upload", files=files).status_code == 403
    assert reader.get("/api/jobs/1").status_code == 403
    archivist = login(site.url, "luu-tru")
    assert archivist.post("/upload", files=files).status_code == 403  # no CSRF token
    assert archivist.get("/jobs/99999").status_code == 404


def test_upload_names_and_zips_stay_inside_the_job(tmp_path: Path) -> None:
    assert upload_name("../../etc/passwd") == "etc/passwd"
    assert upload_name("C:\\scans\\so 5.pdf") == "scans/so 5.pdf"
    assert upload_name("ban-tin/trang-1.jpg") == "ban-tin/trang-1.jpg"
    assert upload_name("a;rm -rf $HOME`.pdf") == "a_rm -rf _HOME_.pdf"
    assert upload_name("...") == "upload"
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as out:
        out.writestr("../../escaped.txt", "x")
    assert "outside" in unpack_zip(evil)[1]
    assert not (tmp_path.parent / "escaped.txt").exists() and not (tmp_path / "evil").exists()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert "not a readable ZIP" in unpack_zip(broken)[1]


def test_a_growing_file_waits_until_it_settles(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    watcher = WatchFolder(drop, tmp_path / "archive", settle=5)
    scan = drop / "so-1.pdf"
    scan.write_bytes(b"%PDF-1.4 half")
    (drop / "so-2.pdf.part").write_bytes(b"still copying")
    assert watcher.ready(now=0) == []
    scan.write_bytes(b"%PDF-1.4 half and the rest")  # still growing
    assert watcher.ready(now=4) == []
    assert watcher.ready(now=8) == []  # changed at 4: not yet 5 s quiet
    assert watcher.ready(now=9.5) == [scan]


def test_watch_folder_ingests_moves_and_survives_a_restart(tmp_path: Path) -> None:
    drop, archive = tmp_path / "drop", tmp_path / "archive"
    drop.mkdir()
    bantin_cli = str(Path(sys.executable).parent / "bantin")
    command = [bantin_cli, "watch", str(drop), "--archive", str(archive), "--settle", "1",
               "--interval", "0.3"]
    watcher = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        first = drop / "ban-tin-so-04-thang-04-2021.pdf"
        text = "Chi bộ thôn Nam họp bàn kế hoạch làm đường giao thông nông thôn."
        save_text_pdf(SampleIssue("w", [[text]]), tmp_path / "first.pdf")
        data = (tmp_path / "first.pdf").read_bytes()
        with first.open("wb") as out:  # a scanner writing slowly
            out.write(data[: len(data) // 2])
            out.flush()
            time.sleep(0.8)
            out.write(data[len(data) // 2 :])
        (drop / "hong.pdf").write_text("không phải PDF", "utf-8")
        assert wait_for(lambda: (drop / "done" / first.name).exists()
                        and (drop / "failed" / "hong.pdf").exists())
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(timeout=30)
    reason = (drop / "failed" / "hong.pdf.reason.txt").read_text("utf-8")
    assert reason.count("\n") == 1 and "hong.pdf" in reason
    [record] = Archive.open(archive).issues()
    assert record.number == 4 and not first.exists()
    # dropped while nothing watched: the next run takes it; the same scan again is not duplicated
    folder = save_image_folder(render_issue(SampleIssue("p", [["Hội nông dân xã tổ chức tập huấn "
                                                               "trồng lúa hữu cơ."]]), dpi=TEST_DPI),
                               drop / "ban-tin-so-05-2021")
    shutil.copy(tmp_path / "first.pdf", drop / "copy-of-first.pdf")
    done = subprocess.run([*command, "--once"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"done: {folder.name}" in done.stdout and "done: copy-of-first.pdf" in done.stdout
    assert len(Archive.open(archive).issues()) == 2
    assert sorted(p.name for p in (drop / "done").iterdir()) == sorted([first.name, folder.name,
                                                                         "copy-of-first.pdf"])


def wait_for(condition: Callable[[], bool], seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_watcher_killed_in_the_middle_of_an_ingest_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    drop, archive = tmp_path / "drop", tmp_path / "archive"
    drop.mkdir()
    line = "chi bộ thôn Tây họp bàn việc giữ gìn an ninh trật tự ở khu dân cư."
    # 13 pages: a worker reads a group of pages at a time (at most 6, as many groups as
    # workers), and the issue's last group comes back after the first are staged
    pages = [[f"Trang {n}: {line}"] for n in range(13)]
    save_image_pdf(render_issue(SampleIssue("k", pages), dpi=TEST_DPI), tmp_path / "so.pdf", TEST_DPI)
    shutil.copy(tmp_path / "so.pdf", drop / "ban-tin-so-06-2021.pdf")
    command = [str(Path(sys.executable).parent / "bantin"), "watch", str(drop), "--archive", str(archive),
               "--settle", "0.5", "--interval", "0.2"]
    watcher = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:  # killed once the first pages of the issue are staged, before it lands
        assert wait_for(lambda: any((archive / ".staging").glob("*/pages/*.txt")))
    finally:
        watcher.kill()
        watcher.wait(timeout=30)
    assert (drop / "ban-tin-so-06-2021.pdf").exists() and not Archive.open(archive).issues()
    again = subprocess.run([*command, "--once"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "done: ban-tin-so-06-2021.pdf" in again.stdout, again.stderr
    [record] = Archive.open(archive).issues()
    assert len(record.pages) == 13 and (drop / "done" / "ban-tin-so-06-2021.pdf").exists()
    assert Archive.open(archive).check() == []  # no staging left behind, every checksum right
