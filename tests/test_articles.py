"""Articles: segmentation of composed issues (born-digital and scanned with real Tesseract),
search by article, archivists' corrections surviving a new segmentation, the article view
and the feed. The text is written for these tests."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive import Archive
from archive.hocr import HocrLine, WordBox
from bantin.composer import (
    ArticleSpec,
    ComposedIssue,
    IssueSpec,
    compose,
    draw_scan,
    save_born_digital,
    save_scan_pdf,
)
from bantin.ingesting import index_hooks
from bantin.samples import SampleIssue, render_issue, sample_issues, save_image_pdf, save_text_pdf
from bantin.web import create_app
from index import IngestIndexer, load_articles, open_index, reindex, search
from index.segment import PageLayout, segment
from pipeline import IngestOptions, ingest

P1 = ("Thời gian qua, nhiều chi bộ khu dân cư đã đổi mới cách tổ chức sinh hoạt định kỳ, bí thư "
      "chi bộ gợi ý trước một vài vấn đề thiết thực để đảng viên chuẩn bị ý kiến.")
P2 = ("Ở thôn Phú Lộc, chi bộ chọn chuyên đề giữ gìn vệ sinh môi trường và xây dựng tuyến đường hoa. "
      "Mỗi đảng viên nhận phụ trách mười hộ gia đình, vận động bà con phân loại rác tại nguồn.")
P3 = ("Kinh nghiệm cho thấy, chất lượng sinh hoạt phụ thuộc nhiều vào người bí thư. Bí thư phải nắm "
      "chắc tình hình, biết lắng nghe và dám nhận khuyết điểm trước tập thể.")
P4 = ("Huyện đoàn phối hợp với ban tổ chức huyện ủy mở lớp cảm tình Đảng vào dịp nghỉ hè cho "
      "đoàn viên ưu tú, giao việc cụ thể để thử thách và rèn luyện.")
P5 = ("Tỉnh ủy chỉ đạo số hóa toàn bộ hồ sơ và văn bản của các tổ chức đảng, mỗi trang tài liệu được "
      "quét, nhận dạng chữ và lưu trữ kèm mã kiểm tra.")
P6 = ("Phong trào khuyến học phát triển mạnh ở các dòng họ, quỹ của họ Nguyễn đã trao học bổng cho "
      "ba mươi em học sinh nghèo vượt khó.")

BANTIN = str(Path(sys.executable).with_name("bantin"))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([BANTIN, *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done


SPEC = IssueSpec(5, 5, 2020, [
    ArticleSpec("Nâng cao chất lượng sinh hoạt ở khu dân cư", [P1, P2, P3, P4, P1, P3],
                section="XÂY DỰNG ĐẢNG", byline="NGUYỄN VĂN AN", lead=True, jump=True, span=True),
    ArticleSpec("Kết nạp đoàn viên ưu tú vào Đảng", [P4, P3, P2, P4], byline="PV",
                photo="Ảnh: Lễ kết nạp tại thôn Đông"),
    ArticleSpec("Chuyển đổi số trong công tác lưu trữ hồ sơ", [P5, P2, P5, P3, P5, P1],
                section="HỎI - ĐÁP", byline="Theo Báo Quảng Trị", span=True),
    ArticleSpec("Quỹ khuyến học của dòng họ Nguyễn", [P6, P2, P6]),
])


@pytest.fixture(scope="module")
def issue() -> ComposedIssue:
    return compose(SPEC)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, issue: ComposedIssue) -> Path:
    work = tmp_path_factory.mktemp("articles")
    (work / "in").mkdir()
    save_born_digital(issue, work / "in" / "ban-tin-so-05-2020.pdf")
    report = ingest([work / "in"], work / "archive", IngestOptions(jobs=2),
                    index_hooks(IngestIndexer(work / "archive")))
    assert report.ok
    return work / "archive"


def _found(root: Path) -> list[dict[str, object]]:
    archive = Archive.open(root)
    record = archive.issues()[0]
    return [a.to_dict() for a in load_articles(archive, record).articles]


def test_born_digital_issue_is_divided_into_its_articles(archive: Path, issue: ComposedIssue) -> None:
    found = _found(archive)
    truth = issue.truth()
    assert [str(a["title"]).lower() for a in found] == [t.title.lower() for t in truth]
    assert [a["pages"] for a in found] == [t.pages for t in truth]
    assert found[0]["pages"] == [1, 3]  # "Xem tiếp trang 3" joined the two parts
    assert found[0]["section"] == "XÂY DỰNG ĐẢNG" and found[0]["byline"] == "NGUYỄN VĂN AN"
    assert found[1]["byline"] == "PV" and found[2]["byline"] == "Theo Báo Quảng Trị"
    for a, t in zip(found, truth, strict=True):
        text = str(a["text"])
        assert text.split() == t.text.split(), a["title"]
        for boilerplate in ("TRONG SỐ NÀY", "Xem tiếp", "Tiếp theo", "Ảnh:", "SINH HOẠT CHI BỘ"):
            assert boilerplate not in text
    assert set(found[0]) >= {"id", "title", "section", "byline", "pages", "text", "regions"}
    for a in found:
        regions = a["regions"]
        assert isinstance(regions, list) and regions
        assert all(r["page"] in a["pages"] and len(r["box"]) == 4 for r in regions)  # type: ignore[operator]


def test_search_returns_the_article_not_the_masthead_or_contents(archive: Path) -> None:
    hits = search(archive, "chuyen doi so trong cong tac luu tru ho so", limit=5).hits
    assert hits[0].article is not None
    assert hits[0].article.title == "Chuyển đổi số trong công tác lưu trữ hồ sơ"
    assert hits[0].page == 2
    hits = search(archive, "thong tin sinh hoat chi bo", limit=10).hits  # only the masthead holds it whole
    assert all(h.relaxed or h.article is None or "thông tin" in h.snippet.lower() for h in hits)
    hits = search(archive, "quy khuyen hoc", limit=5).hits
    assert hits[0].article is not None and hits[0].article.pages == (3,)
    # one hit per article
    assert len({(h.issue, h.article.id if h.article else -h.page) for h in hits}) == len(hits)


def test_corrections_survive_a_new_segmentation(archive: Path, tmp_path: Path) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    issue_id = Archive.open(copy).issue_ids()[0]
    run_cli("edit", issue_id, "--article", "4", "--title", "Quỹ khuyến học họ Nguyễn ở xã Thủy Phù",
            "--archive", str(copy))
    run_cli("edit", issue_id, "--article", "2", "--join", "--archive", str(copy))
    reindex(copy)
    titles = [a["title"] for a in _found(copy)]
    assert titles[-1] == "Quỹ khuyến học họ Nguyễn ở xã Thủy Phù" and len(titles) == 3
    history = Archive.open(copy).load_issue(issue_id).history
    assert [h["field"] for h in history] == ["article.title", "article.join"]
    hits = search(open_index(copy), "thuy phu", limit=3).hits
    assert hits and hits[0].article is not None and hits[0].article.title.endswith("Thủy Phù")
    shown = json.loads(run_cli("show", issue_id, "--json", "--archive", str(copy)).stdout)
    assert [a["title"] for a in shown["articles"]] == titles


def test_scanned_issue_is_segmented_from_tesseracts_layout(tmp_path: Path, issue: ComposedIssue) -> None:
    (tmp_path / "in").mkdir()
    save_scan_pdf(draw_scan(issue, dpi=200, noise=0.3)[:2], tmp_path / "in" / "scan.pdf")
    report = ingest([tmp_path / "in"], tmp_path / "archive", IngestOptions(jobs=2),
                    index_hooks(IngestIndexer(tmp_path / "archive")))
    assert report.ok
    titles = [str(a["title"]).lower() for a in _found(tmp_path / "archive")]
    for t in issue.truth()[:3]:  # the articles on the two pages scanned
        assert t.title.lower() in titles


def test_article_view_contents_and_feed(archive: Path) -> None:
    client = TestClient(create_app(archive))
    issue_id = Archive.open(archive).issue_ids()[0]
    page = client.get(f"/issues/{issue_id}")
    assert page.status_code == 200 and "Mục lục" in page.text
    assert f"/issues/{issue_id}/articles/3" in page.text
    view = client.get(f"/issues/{issue_id}/articles/3", params={"q": "luu tru"})
    assert view.status_code == 200
    marked = view.text.replace("</mark> <mark>", " ")
    assert "Chuyển đổi số trong công tác <mark>lưu trữ</mark> hồ sơ" in marked
    assert "HỎI - ĐÁP" in view.text and "Theo Báo Quảng Trị" in view.text
    assert f"/issues/{issue_id}/articles/2" in view.text
    assert f"/issues/{issue_id}/articles/4" in view.text
    region = client.get(f"/issues/{issue_id}/articles/3/regions/0.jpg")
    assert region.status_code == 200 and region.content[:2] == b"\xff\xd8"
    assert client.get(f"/issues/{issue_id}/articles/9").status_code == 404
    assert client.get(f"/issues/{issue_id}/articles/3/regions/99.jpg").status_code == 404
    feed = client.get("/feed.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    assert "QUỸ KHUYẾN HỌC CỦA DÒNG HỌ NGUYỄN" in feed.text  # set in capitals, as printed
    home = client.get("/")
    assert "Số mới nhất" in home.text and "Kết nạp đoàn viên ưu tú vào Đảng" in home.text
    api = client.get(f"/api/issues/{issue_id}").json()
    assert [a["id"] for a in api["articles"]] == [1, 2, 3, 4]
    found = client.get("/api/search", params={"q": "ket nap doan vien uu tu"}).json()
    assert found["hits"][0]["article"]["title"] == "Kết nạp đoàn viên ưu tú vào Đảng"


def _line(index: int, text: str, y: int) -> HocrLine:
    words, x = [], 100
    for word in text.split():
        words.append(WordBox(word, x, y, x + 18 * len(word), y + 30))
        x += 18 * len(word) + 12
    return HocrLine(index, index, 100, y, x - 12, y + 30, 24.0, tuple(words))


def test_a_page_opening_with_a_date_is_text_and_a_short_issue_line_a_header() -> None:
    body = "Diệp được Bệnh viện hỗ trợ, nhận vào làm việc tại khoa Dược để trang trải"
    lines = [_line(0, "Số 5 - Tháng 5/2020", 60), _line(1, f"Năm 2018, {body}", 120)]
    lines += [_line(k, body, 120 + 45 * k) for k in range(2, 8)]
    _, by_page = segment([PageLayout(2, 1654, 2339, lines)])
    kinds = [p.kind for p in by_page[2]]
    assert kinds[0] == "header" and kinds[1] == "body", kinds


@pytest.mark.parametrize("kind", ["scanned", "born-digital"])
def test_the_demo_covers_open_with_a_titled_article(tmp_path: Path, kind: str) -> None:
    """The demo sets a cover's lead title large, as the bulletin does: its cover page is an
    article with that title, not a page outside any article (a real Tesseract reading for
    the scan); set at body size, the cover has no title to find."""
    issue = sample_issues()[0]
    title = issue.pages[0][2]  # after the masthead and the issue line
    for cover_title, wanted in ((True, [title]), (False, [])):
        folder = tmp_path / f"{kind}-{cover_title}"
        folder.mkdir()
        if kind == "scanned":
            pages = render_issue(issue, dpi=200, noise=0.3, cover_title=cover_title)
            save_image_pdf(pages[:1], folder / "so-03-2019.pdf", dpi=200)
        else:
            save_text_pdf(SampleIssue(issue.name, issue.pages[:1]), folder / "so-03-2019.pdf",
                          cover_title=cover_title)
        root = tmp_path / f"archive-{kind}-{cover_title}"
        assert ingest([folder], root, IngestOptions(jobs=1)).ok
        archive = Archive.open(root)
        found = load_articles(archive, archive.issues()[0]).articles
        assert [a.title.lower() for a in found if 1 in a.pages] == [t.lower() for t in wanted], kind
