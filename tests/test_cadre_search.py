"""Search as cadres type it: extra words relax the query (never above pages holding every
word), abbreviations meet their full forms both ways, suggestions from the archive's own
vocabulary, and the search log with its report for editors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive import Archive
from bantin.web import create_app
from index import SearchIndex, open_index, search
from index.searchlog import SearchEntry, SearchLog, report
from tests.archives import api_token, ingest_into, text_scans

BANTIN = str(Path(sys.executable).parent / "bantin")

PAGES = {
    "ban-tin-so-02-thang-02-2019.pdf": [
        "Chi bộ thôn Tây tổ chức học tập chuyên đề phòng chống tham nhũng, lãng phí trong cán bộ.",
        "Đảng viên cam kết công khai tài sản và thu nhập theo quy định.",
    ],
    "ban-tin-so-04-thang-04-2019.pdf": [
        "Bài viết về công tác dân vận: năm nay các đoàn thể vận động nhân dân hiến đất làm đường.",
        "Tham gia góp ý, nhiều người cho rằng phòng họp thôn cần được sửa chữa; chống xuống cấp; "
        "tình trạng nhũng nhiễu ở bộ phận một cửa đã giảm.",
    ],
    "ban-tin-so-05-thang-05-2020.pdf": [
        "Hội nghị Ban Chấp hành Trung ương 4 khóa XII ban hành Nghị quyết Trung ương 4 về xây dựng Đảng.",
        "Ủy ban nhân dân tỉnh chỉ đạo các huyện triển khai kế hoạch phòng cháy chữa cháy mùa khô.",
    ],
    "ban-tin-so-06-thang-06-2020.pdf": [
        "UBND huyện tổ chức hội nghị tổng kết phong trào xây dựng nông thôn mới.",
        "MTTQ xã vận động quỹ Vì người nghèo; HĐND xã giám sát việc chi quỹ.",
    ],
    "ban-tin-so-07-thang-07-2021.pdf": [
        "Thông tin thời sự hằng tuần được gửi tới các chi bộ để sinh hoạt chi bộ thêm phong phú.",
        "Nhiều chi bộ đã sinh hoạt chuyên đề về học tập và làm theo tư tưởng, đạo đức Bác Hồ.",
    ],
    # the common words of any bulletin, so that they weigh as little as they do in a real archive
    "ban-tin-so-08-thang-08-2021.pdf": [
        f"Bài viết số {n} về việc học tập năm {2015 + n}: các bài viết trong năm về nhiều việc."
        for n in range(6)
    ],
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cadre")
    scans = text_scans(root / "scans", {name: [[line] for line in lines] for name, lines in PAGES.items()})
    ingest_into(root / "archive", [scans])
    return root / "archive"


@pytest.fixture(scope="module", params=["tantivy", "whoosh"])
def index(request: pytest.FixtureRequest, archive: Path) -> SearchIndex:
    return open_index(archive, request.param)


def where(index: SearchIndex, number: int, page: int) -> tuple[str, int]:
    record = next(r for r in index.archive.issues() if r.number == number)
    return record.id, page


def test_extra_words_relax_to_the_page_with_the_phrase(index: SearchIndex) -> None:
    results = search(index, "bai viet ve phong chong tham nhung nam 2019")
    assert results.relaxed
    first = results.hits[0]
    assert (first.issue, first.page) == where(index, 2, 1)
    assert first.relaxed and first.matched == ("phong chong tham nhung",)  # also written PCTN
    assert set(first.missing) <= {"bai", "viet", "ve", "nam", "2019"}
    assert all("<mark>" not in h.snippet for h in results.hits)


def test_the_phrase_standing_together_ranks_above_its_words_scattered(index: SearchIndex) -> None:
    # page 4/2 holds every word, scattered; 2/1 holds the phrase itself but not "họp"
    results = search(index, "phong chong tham nhung hop", limit=10)
    assert (results.hits[0].issue, results.hits[0].page) == where(index, 2, 1)
    assert results.hits[0].relaxed and results.hits[0].missing == ("hop",)
    complete = [h for h in results.hits if not h.relaxed]
    assert [(h.issue, h.page) for h in complete] == [where(index, 4, 2)]
    assert results.total == 1 and results.relaxed_total >= 1  # counted apart


def test_quoted_phrases_and_plus_words_stay_mandatory_minus_words_excluded(index: SearchIndex) -> None:
    assert search(index, '"tham nhũng" cong van xyz').hits[0].issue == where(index, 2, 1)[0]
    assert not search(index, '+xyzzy phong chong tham nhung').hits
    assert not search(index, '"khong co cum nay" tham nhung').hits
    excluded = search(index, "phong chong tham nhung moi nhat -lang")
    assert where(index, 2, 1) not in [(h.issue, h.page) for h in excluded.hits]


@pytest.mark.parametrize(("query", "number", "page"), [
    ("nghi quyet TW 4", 5, 1),  # abbreviation typed, full form on the page
    ("ubnd tinh", 5, 2),
    ("UBND tỉnh chỉ đạo", 5, 2),
    ("BCH TW khoa XII", 5, 1),
    ("uy ban nhan dan huyen to chuc", 6, 1),  # full form typed, abbreviation on the page
    ("Mặt trận Tổ quốc xã", 6, 2),
    ("hoi dong nhan dan xa giam sat", 6, 2),
])
def test_abbreviations_meet_full_forms_both_ways(
    index: SearchIndex, query: str, number: int, page: int
) -> None:
    hits = search(index, query).hits
    assert hits and (hits[0].issue, hits[0].page) == where(index, number, page)
    assert not hits[0].relaxed


def test_lower_case_syllable_is_not_taken_for_an_abbreviation(index: SearchIndex) -> None:
    from index.query import parse

    assert [r.expanded for r in parse("tu tuong", index.abbreviations).required] == [False, False]
    assert parse("TU Quảng Nam", index.abbreviations).required[0].expanded


def test_the_archive_extends_the_table_without_a_reindex(archive: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    assert not any(not h.relaxed for h in search(open_index(copy), "pccc mua kho").hits)
    (copy / "abbreviations.tsv").write_text("# ours\nPCCC\tphòng cháy chữa cháy\nbroken line\n", "utf-8")
    messages: list[str] = []
    index = open_index(copy, notify=messages.append)
    assert any("line 3" in m for m in messages)
    hits = search(index, "pccc mua kho").hits
    assert (hits[0].issue, hits[0].page) == where(index, 5, 2) and not hits[0].relaxed


@pytest.mark.parametrize(("query", "suggestion"), [
    ("thnng tin thoi su", "thông tin thời sự"),
    ("sinh hoat chi bo", "sinh hoạt chi bộ"),
    ("phong chong tham nhung", "phòng chống tham nhũng"),
    ("sinh hoạt chi bộ", None),
])
def test_suggestions_come_from_the_archive(index: SearchIndex, query: str, suggestion: str | None) -> None:
    assert search(index, query).suggestion == suggestion


def test_cli_shows_dropped_words_and_suggestion(archive: Path) -> None:
    run = subprocess.run([BANTIN, "search", "thnng tin thoi su moi nhat", "--archive", str(archive)],
                         capture_output=True, text=True, check=True)
    assert "Did you mean: thông tin thời sự" in run.stdout
    assert "missing: " in run.stdout
    data = json.loads(subprocess.run(
        [BANTIN, "search", "phong chong tham nhung nam 2019", "--json", "--archive", str(archive)],
        capture_output=True, text=True, check=True).stdout)
    assert data["relaxed"] is True and data["hits"][0]["matched"] == ["phong chong tham nhung"]


def test_web_says_which_words_were_dropped(archive: Path, tmp_path: Path) -> None:
    client = TestClient(create_app(archive, log_dir=tmp_path / "logs"))
    html = client.get("/search", params={"q": "bai viet ve phong chong tham nhung nam 2019"}).text
    assert "Không còn bài hay trang nào có đủ mọi từ" in html
    assert "Không có: " in html and "<s>bai</s>" in html
    html = client.get("/search", params={"q": "sinh hoat chi bo"}).text
    assert "Có phải bạn muốn tìm" in html and "sinh hoạt chi bộ</a>" in html


def test_search_log_and_report(archive: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    client = TestClient(create_app(archive, log_dir=logs))
    for query in ("sinh hoat chi bo", "Sinh hoạt chi bộ", "xyzzy qwertz", "phong chong tham nhung nam 2019"):
        assert client.get("/search", params={"q": query}).status_code == 200
    client.get("/api/search", params={"q": "xyzzy  qwertz"})
    subprocess.run([BANTIN, "search", "xyzzy qwertz", "--archive", str(archive), "--log-dir", str(logs)],
                   capture_output=True, check=True)
    lines = [json.loads(line) for line in (logs / "searches.jsonl").read_text("utf-8").splitlines()]
    assert [e["interface"] for e in lines] == ["web"] * 4 + ["api", "cli"]
    assert set(lines[0]) == {"time", "query", "hits", "complete", "relaxed", "interface"}  # no identity
    summary = report(SearchLog(logs).entries())
    assert summary.searches == 6 and sum(summary.per_week.values()) == 6
    frequent = [(q.folded, q.count) for q in summary.frequent[:2]]
    assert frequent == [("xyzzy qwertz", 3), ("sinh hoat chi bo", 2)]
    assert {q.folded: q.count for q in summary.unmet} == {"xyzzy qwertz": 3,
                                                           "phong chong tham nhung nam 2019": 1}
    cli = json.loads(subprocess.run(
        [BANTIN, "report", "searches", "--json", "--archive", str(archive), "--log-dir", str(logs)],
        capture_output=True, text=True, check=True).stdout)
    archivist = api_token(archive, "archivist")
    assert client.get("/api/report/searches").status_code == 401  # the editors' report needs an account
    assert client.get("/api/report/searches", headers=api_token(archive, "reader")).status_code == 403
    assert cli == client.get("/api/report/searches", headers=archivist).json() == summary.to_dict()
    future = client.get("/api/report/searches", params={"since": "2999-01"}, headers=archivist).json()
    assert future["searches"] == 0
    page = client.get("/report/searches", headers=archivist).text
    assert "những điều được tìm mà bản tin chưa có" in page.lower() and "xyzzy qwertz" in page


def test_log_rotates_by_size_and_can_be_turned_off(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index import searchlog

    monkeypatch.setattr(searchlog, "MAX_BYTES", 400)
    log = SearchLog(tmp_path / "logs")
    for n in range(12):
        log.append(SearchEntry(datetime.now(UTC).isoformat(timespec="seconds"), f"truy vấn {n}", n, True,
                               False, "cli"))
    assert (tmp_path / "logs" / "searches.jsonl.1").is_file()
    assert [e.query for e in log.entries()] == [f"truy vấn {n}" for n in range(12)]
    import shutil

    copy = tmp_path / "archive"
    shutil.copytree(archive, copy, ignore=shutil.ignore_patterns("logs"))
    (copy / "settings.json").write_text(json.dumps({"search_log": False}), "utf-8")
    TestClient(create_app(copy)).get("/search", params={"q": "chi bo"})
    subprocess.run([BANTIN, "search", "chi bo", "--archive", str(copy)], capture_output=True, check=True)
    assert not (copy / "logs").exists()
    assert Archive.open(copy).issue_ids() == Archive.open(archive).issue_ids()
