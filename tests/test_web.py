"""The web application over HTTP (FastAPI's test client on a real archive ingested with
real Tesseract): views, the JSON API beside the CLI's JSON, files, safety."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive import Archive
from archive.hocr import word_boxes
from bantin.samples import SampleIssue, save_text_pdf
from bantin.state import STATE_FILE, State
from bantin.usage import Usage
from bantin.web import create_app
from tests.archives import build, ingest_into

BANTIN = str(Path(sys.executable).parent / "bantin")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, SampleIssue]) -> Path:
    return build(tmp_path_factory.mktemp("web"), samples)


@pytest.fixture(scope="module")
def client(archive: Path) -> TestClient:
    return TestClient(create_app(archive))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ids(archive: Path) -> dict[str, str]:
    return {r.source: r.id for r in Archive.open(archive).issues()}


def cli_json(*args: str) -> object:
    run = subprocess.run([BANTIN, *args], capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def test_home_lists_issues_by_year_with_counts(client: TestClient, archive: Path) -> None:
    html = client.get("/").text
    assert "không cần gõ dấu" in html.lower()
    assert "<strong>3</strong> số bản tin, <strong>5</strong> trang" in html
    assert html.index("Năm 2022") < html.index("Năm 2020") < html.index("Năm 2019")
    assert f'/issues/{ids(archive)["ban-tin-so-03.pdf"]}/pages/1/thumb.jpg' in html


def test_search_without_diacritics_finds_the_scanned_page_first(client: TestClient, archive: Path) -> None:
    html = client.get("/search", params={"q": "phan loai rac tai nguon"}).text
    first = re.search(r'<a class="title" href="/issues/(\w+)/pages/(\d+)', html)
    assert first and first.groups() == (ids(archive)["ban-tin-so-03.pdf"], "1")
    assert "<mark>phân</mark> <mark>loại</mark> <mark>rác</mark>" in html
    assert "Số 03, tháng 3/2019, trang 1" in html


def test_near_matches_are_labelled_and_no_hits_get_advice(client: TestClient) -> None:
    near = client.get("/search", params={"q": "thnng tin"}).text
    assert "gần đúng" in near
    none = client.get("/search", params={"q": "xyzzy qwertz"}).text
    assert "Không tìm thấy bài hay trang nào" in none and "Hãy thử" in none
    bad = client.get("/search", params={"q": '"chi bo'})
    assert bad.status_code == 400 and "unbalanced quote" in bad.text


def test_filters_sort_and_pages_of_results(client: TestClient) -> None:
    everything = client.get("/api/search", params={"q": "chi bo", "limit": 10}).json()
    assert everything["total"] >= 3
    second = client.get("/api/search", params={"q": "chi bo", "limit": 1, "offset": 1}).json()
    assert second["hits"][0]["page"] == everything["hits"][1]["page"]
    assert second["hits"][0]["issue"] == everything["hits"][1]["issue"]
    only_2020 = client.get("/api/search", params={"q": "chi bo", "year": "2020"}).json()
    assert {h["date"][:4] for h in only_2020["hits"]} == {"2020"}
    ranged = client.get("/api/search", params={"q": "chi bo", "from": "2019-01", "to": "2019-12"}).json()
    assert ranged["hits"] and {h["date"][:4] for h in ranged["hits"]} == {"2019"}
    by_date = client.get("/api/search", params={"q": "chi bo", "sort": "date"}).json()
    dates = [h["date"] for h in by_date["hits"]]
    assert dates == sorted(dates, reverse=True)
    html = client.get("/search", params={"q": "chi bo", "year": "2019"}).text
    assert "Số 12" not in html and "Số 03" in html
    assert client.get("/api/search", params={"q": "chi bo", "from": "2019-13"}).status_code == 400


def test_api_returns_what_the_cli_prints(client: TestClient, archive: Path) -> None:
    web = client.get("/api/search", params={"q": "luu tru ho so dang vien", "limit": 3}).json()
    cli = cli_json("search", "luu tru ho so dang vien", "--limit", "3", "--json", "--archive", str(archive))
    assert web == cli
    assert client.get("/api/issues").json() == cli_json("list", "--json", "--archive", str(archive))
    issue_id = ids(archive)["so12.pdf"]
    shown = cli_json("show", issue_id, "--json", "--archive", str(archive))
    assert client.get(f"/api/issues/{issue_id}").json() == shown
    assert client.get("/api/openapi.json").json()["paths"].keys() >= {"/api/search", "/api/issues"}
    docs = client.get("/api/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs and "http" not in docs.split("<body>")[1]


@pytest.mark.parametrize("source", ["ban-tin-so-03.pdf", "so12.pdf"])  # OCR'd and text-layer pages
def test_word_boxes_match_in_folded_form(client: TestClient, archive: Path, source: str) -> None:
    issue_id = ids(archive)[source]
    query = "sinh hoat chi bo"
    data = client.get(f"/api/issues/{issue_id}/pages/1/words", params={"q": query}).json()
    record = Archive.open(archive).load_issue(issue_id)
    assert (data["width"], data["height"]) == (record.pages[0].width, record.pages[0].height)
    words = {w["text"].strip(".,:").lower() for w in data["words"]}
    assert {"sinh", "hoạt", "bộ"} <= words
    hocr = Archive.open(archive).page_file(issue_id, 1, ".hocr").read_text(encoding="utf-8")
    stored = {(b.x0, b.y0, b.x1, b.y1) for b in word_boxes(hocr)}
    assert all((w["x0"], w["y0"], w["x1"], w["y1"]) in stored for w in data["words"])
    assert all(0 <= w["x0"] < w["x1"] <= data["width"] for w in data["words"])


def test_page_view_outlines_marks_navigates_and_cites(client: TestClient, archive: Path) -> None:
    issue_id = ids(archive)["so12.pdf"]
    html = client.get(f"/issues/{issue_id}/pages/1", params={"q": "luu tru"}).text
    assert html.count('class="hitbox"') >= 2
    assert "<mark>lưu</mark> <mark>trữ</mark>" in html
    assert 'value="Thông tin sinh hoạt chi bộ, số 12, ngày 15/6/2020, trang 1"' in html
    assert f"http://testserver/issues/{issue_id}/pages/1" in html  # permanent link
    assert f'href="/issues/{issue_id}/pages/2?q=luu%20tru"' in html  # next page keeps the query
    for link in ("issue.pdf", "pages/1.jpg", "pages/1.txt"):
        assert f'href="/issues/{issue_id}/{link}"' in html
    assert 'viewBox="0 0 ' in html and "zoom=2" in html
    hit_pages = [h["page"] for h in client.get("/api/search", params={"q": "lưu trữ"}).json()["hits"]
                 if h["issue"] == issue_id]
    if 2 in hit_pages:
        assert "Kết quả sau (tr. 2)" in html
    issue = client.get(f"/issues/{issue_id}", params={"q": "luu tru"}).text
    assert "Tìm trong số này" in issue and "Trang 1</a>" in issue
    assert client.get(f"/issues/{issue_id}/pages/99").status_code == 404


def test_ocr_text_with_markup_renders_as_text(client: TestClient, archive: Path) -> None:
    issue_id = ids(archive)["ban-tin-so-07-thang-07-2022.pdf"]
    response = client.get(f"/issues/{issue_id}/pages/1", params={"q": "ghi chu"})
    assert "<script>alert" not in response.text and "<img src=x" not in response.text
    assert "&lt;script&gt;alert(" in response.text and "onerror=alert(1)&gt;" in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    found = client.get("/search", params={"q": "ghi chu"}).text
    assert "<script>alert" not in found


def test_files_carry_etags_and_only_archive_files_are_served(client: TestClient, archive: Path) -> None:
    issue_id = ids(archive)["ban-tin-so-03.pdf"]
    record = Archive.open(archive).load_issue(issue_id)
    image = client.get(f"/issues/{issue_id}/pages/1.jpg")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.headers["etag"] == f'"{record.files["pages/0001.jpg"]}"'
    assert "max-age" in image.headers["cache-control"]
    again = client.get(f"/issues/{issue_id}/pages/1.jpg", headers={"If-None-Match": image.headers["etag"]})
    assert again.status_code == 304
    pdf = client.get(f"/issues/{issue_id}/issue.pdf")
    assert pdf.content.startswith(b"%PDF") and pdf.headers["etag"] == f'"{record.files["issue.pdf"]}"'
    assert client.get(f"/issues/{issue_id}/pages/1.txt").text == Archive.open(archive).page_text(issue_id, 1)
    assert client.get(f"/issues/{issue_id}/pages/1/thumb.jpg").content[:2] == b"\xff\xd8"
    for path in ("/issues/../archive.json", f"/issues/{issue_id}/..%2f..%2farchive.json",
                 "/issues/%2e%2e/archive.json", "/issues/%2Fetc%2Fpasswd", "/static/../archive.json",
                 "/static/%2e%2e/%2e%2e/archive.json", f"/issues/{issue_id}/issue.json",
                 f"/issues/{issue_id}/pages/1.hocr", "//etc/passwd"):
        assert client.get(path).status_code == 404, path


def test_a_link_out_of_the_archive_is_not_followed(tmp_path: Path, samples: dict[str, SampleIssue]) -> None:
    archive = build(tmp_path, samples)
    issue_id = ids(archive)["so12.pdf"]
    page = archive / "issues" / issue_id / "pages" / "0001.txt"
    secret = tmp_path / "secret.txt"
    secret.write_text("bí mật", encoding="utf-8")
    page.unlink()
    page.symlink_to(secret)
    client = TestClient(create_app(archive))
    assert client.get(f"/issues/{issue_id}/pages/1.txt").status_code == 404


def test_read_only_and_new_issues_show_without_restart(
    tmp_path: Path, samples: dict[str, SampleIssue]
) -> None:
    archive = build(tmp_path, samples)
    client = TestClient(create_app(archive))

    def snapshot() -> dict[str, int]:
        return {str(p): p.stat().st_mtime_ns for p in archive.rglob("*")
                if p.is_file() and "logs" not in p.relative_to(archive).parts
                and not p.name.startswith(STATE_FILE)}

    before = snapshot()
    for url in ("/", "/search?q=chi+bo", "/api/search?q=chi+bo", "/api/issues",
                f"/issues/{ids(archive)['so12.pdf']}/pages/1?q=chi+bo",
                f"/issues/{ids(archive)['so12.pdf']}/pages/1/thumb.jpg"):
        assert client.get(url).status_code == 200, url
    assert snapshot() == before  # the server wrote nothing but its search log and usage counts
    assert len((archive / "logs" / "searches.jsonl").read_text("utf-8").splitlines()) == 2
    counted = Usage(State.open(archive)).report().total
    assert (counted.search, counted.page, counted.issue) == (2, 1, 0)
    assert "không có" not in client.get("/").text.lower()
    new = tmp_path / "new"
    new.mkdir()
    save_text_pdf(SampleIssue("y", [["Hội thi nấu bánh chưng ngày Tết ở thôn Đoài."]]),
                  new / "ban-tin-so-01-thang-01-2023.pdf")
    ingest_into(archive, [new])
    assert "Năm 2023" in client.get("/").text
    found = client.get("/api/search", params={"q": "banh chung"}).json()["hits"]
    assert [h["date"] for h in found if not h["relaxed"]] == ["2023-01"]


def test_serve_binds_loopback_by_default(archive: Path) -> None:
    help_text = subprocess.run([BANTIN, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    assert "127.0.0.1" in help_text
    missing = subprocess.run([BANTIN, "serve", "--archive", str(archive / "nowhere")],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 3 and "no bantin archive" in missing.stderr
    env = {**os.environ, "BANTIN_ARCHIVE": str(archive)}
    server = subprocess.Popen([BANTIN, "serve", "--port", str(free_port())], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert server.stdout is not None
        assert "at http://127.0.0.1:" in server.stdout.readline()
    finally:
        server.terminate()
        server.wait(timeout=30)
