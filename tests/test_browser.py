"""End to end in a real headless Chromium (Debian's package, driven by Playwright) against
`bantin serve` on loopback: a cadre types without diacritics, opens the page, and the
outlines lie over the right words, on a phone and an office PC, with JavaScript on or off."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from archive import Archive
from archive.hocr import word_boxes
from bantin.composer import compose, save_born_digital
from bantin.ingesting import index_hooks
from bantin.samples import SampleIssue
from index import IngestIndexer
from pipeline import IngestOptions, ingest
from tests.archives import build
from tests.test_articles import SPEC

CHROMIUM = "/usr/bin/chromium"
# As root, without a sandbox, and with no attempt to reach the internet.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
        "--disable-background-networking", "--disable-component-update"]
SCREENSHOTS = Path(os.environ.get("BANTIN_SCREENSHOTS", "bench/out/screenshots"))


@dataclass(frozen=True)
class Served:
    url: str
    archive: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, SampleIssue]) -> Iterator[Served]:
    yield from serve(build(tmp_path_factory.mktemp("browser"), samples))


@pytest.fixture(scope="module")
def bulletin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A composed two-column issue with its articles (the one tests/test_articles.py reads)."""
    work = tmp_path_factory.mktemp("bulletin")
    (work / "in").mkdir()
    save_born_digital(compose(SPEC), work / "in" / "ban-tin-so-05-2020.pdf")
    assert ingest([work / "in"], work / "archive", IngestOptions(jobs=2),
                  index_hooks(IngestIndexer(work / "archive"))).ok
    yield from serve(work / "archive")


def serve(archive: Path, *options: str) -> Iterator[Served]:
    """``bantin serve`` on a free loopback port, until the module's tests are done."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bantin = str(Path(sys.executable).parent / "bantin")
    process = subprocess.Popen([bantin, "serve", "--archive", str(archive), "--port", str(port), *options],
                               stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/login", timeout=1)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.1)
        yield Served(url, archive)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium (scripts/setup.sh test does)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def search_from_home(page: Page, server: Served, query: str) -> None:
    page.goto(server.url + "/")
    page.fill("input[name=q]", query)
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [360, 1280])
def test_cadre_finds_the_page_and_sees_the_words_outlined(
    browser: Browser, server: Served, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800})
    search_from_home(page, server, "phan loai rac tai nguon")
    first = page.locator("a.title").first
    assert "Số 03, tháng 3/2019, trang 1" in first.inner_text()
    shoot(page, f"search-{width}")
    first.click()
    page.wait_for_load_state()
    page.wait_for_function("document.getElementById('page-image').complete")
    shoot(page, f"page-{width}")
    issue_id, n = page.url.split("/issues/")[1].split("?")[0].split("/pages/")
    record = Archive.open(server.archive).load_issue(issue_id)
    raster = record.pages[int(n) - 1]
    hocr = Archive.open(server.archive).page_file(issue_id, int(n), ".hocr").read_text("utf-8")
    by_box = {(b.x0, b.y0, b.x1, b.y1): b.text for b in word_boxes(hocr)}
    image = page.locator("#page-image").bounding_box()
    assert image is not None
    scale = image["width"] / raster.width
    rects = page.locator("rect.hitbox")
    assert rects.count() >= 4
    seen = set()
    for i in range(rects.count()):
        rect = rects.nth(i)
        x, y = float(rect.get_attribute("x") or 0), float(rect.get_attribute("y") or 0)
        w, h = float(rect.get_attribute("width") or 0), float(rect.get_attribute("height") or 0)
        box = rect.bounding_box()
        assert box is not None
        # where the outline is drawn == the hOCR word's box scaled to the image as shown
        # (the drawn box is wider by its 3 px stroke)
        assert abs(box["x"] + box["width"] / 2 - (image["x"] + (x + w / 2) * scale)) < 2
        assert abs(box["y"] + box["height"] / 2 - (image["y"] + (y + h / 2) * scale)) < 2
        assert abs(box["width"] - w * scale) < 5 and abs(box["height"] - h * scale) < 5
        seen.add(by_box[(int(x), int(y), int(x + w), int(y + h))].strip(".,").lower())
    assert {"phân", "loại", "rác", "nguồn"} <= seen
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    page.close()


def test_every_view_at_phone_and_desktop_width(browser: Browser, server: Served) -> None:
    issue_id = Archive.open(server.archive).issues()[0].id
    for width in (360, 1280):
        page = browser.new_page(viewport={"width": width, "height": 800})
        for name, path in (("home", "/"), ("issue", f"/issues/{issue_id}?q=chi+bo"),
                           ("no-hits", "/search?q=xyzzy+qwerty"), ("docs", "/api/docs"),
                           ("relaxed", "/search?q=bai+viet+ve+phan+loai+rac+moi+nhat"),
                           ("report", "/report/searches")):
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            shoot(page, f"{name}-{width}")
            if name != "docs":
                assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        page.close()
    docs = browser.new_page()
    docs.goto(server.url + "/api/docs")
    paths = docs.locator(".opblock-summary-path")  # Swagger UI ran, from the server's own files
    paths.first.wait_for(timeout=15000)
    assert "/api/search" in paths.all_inner_texts()
    docs.close()


def test_works_with_javascript_off(browser: Browser, server: Served) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    search_from_home(page, server, "luu tru ho so")
    assert "Số 12, ngày 15/6/2020" in page.locator("a.title").first.inner_text()
    page.locator("a.title").first.click()
    page.wait_for_load_state()
    assert page.locator("rect.hitbox").count() >= 2 and page.locator("mark").count() >= 2
    page.click("text=Phóng to ×2")
    page.wait_for_load_state()
    assert "zoom-2" in (page.locator("#sheet").get_attribute("class") or "")
    assert all(url.startswith(server.url) for url in requests)  # nothing from outside the server
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_cadre_reads_an_article_from_the_contents_and_from_search(
    browser: Browser, bulletin: Served, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(bulletin.url + "/")
    contents = page.locator("a[href*='/articles/']")
    assert "Kết nạp đoàn viên ưu tú vào Đảng" in contents.all_inner_texts()  # the latest issue's contents
    page.goto(bulletin.url + (page.locator("a[href^='/issues/']").first.get_attribute("href") or "/"))
    assert page.locator("text=Mục lục").count() >= 1
    shoot(page, f"contents-{width}")
    page.locator("a", has_text="Chuyển đổi số trong công tác lưu trữ hồ sơ").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Chuyển đổi số trong công tác lưu trữ hồ sơ"
    assert "Theo Báo Quảng Trị" in page.locator(".byline").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # reflowed: no sideways scroll
    page.locator("details.regions summary").click()
    crops = page.locator("details.regions img")
    crops.first.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")  # the crops load lazily once shown
    assert all(page.evaluate(f"document.querySelectorAll('details.regions img')[{k}].naturalWidth") > 100
               for k in range(crops.count()))
    shoot(page, f"article-{width}")

    search_from_home(page, bulletin, "luu tru ho so")
    first = page.locator("a.title").first
    assert "Chuyển đổi số trong công tác lưu trữ hồ sơ" in first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert "/articles/" in page.url and page.locator("mark").count() >= 2
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shoot(page, f"article-search-{width}")
    page.close()


def test_the_feed_lists_the_issue_and_its_articles(browser: Browser, bulletin: Served) -> None:
    page = browser.new_page()
    response = page.goto(bulletin.url + "/feed.atom")
    assert response is not None and response.headers["content-type"].startswith("application/atom+xml")
    feed = response.text()
    assert feed.count("<entry>") == 1 and "QUỸ KHUYẾN HỌC CỦA DÒNG HỌ NGUYỄN" in feed
    page.close()


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

