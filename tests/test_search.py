"""Search conformance: the same suite on every engine, over an archive ingested from
born-digital PDFs of text written for these tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bantin.ingesting import index_hooks
from bantin.samples import SampleIssue, save_text_pdf
from index import IngestIndexer, QueryError, SearchIndex, open_index, reindex, search
from index.query import parse
from pipeline import IngestOptions, ingest
from tests.archives import text_scans
from vntext import canonical, fold

FILLER = (
    "Hội nông dân xã phối hợp với trạm khuyến nông mở lớp tập huấn kỹ thuật chăm sóc cây ăn quả "
    "cho bà con. Học viên được hướng dẫn cách bón phân hữu cơ, tỉa cành, tạo tán và phòng trừ sâu "
    "bệnh bằng biện pháp sinh học. Cuối khóa, mỗi hộ nhận một bộ tài liệu và giống cây mới. Hợp "
    "tác xã cam kết thu mua sản phẩm với giá ổn định, giúp nông dân yên tâm đầu tư. Nhiều gia đình "
    "đã mạnh dạn vay vốn ngân hàng chính sách để mở rộng vườn. Phong trào thi đua sản xuất giỏi "
    "lan rộng khắp các thôn, xóm trong huyện."
)

ISSUES = {
    "ban-tin-so-01-thang-01-2018.pdf": [
        ["Chi bộ thôn Đông tổ chức sinh hoạt chi bộ định kỳ vào ngày mồng năm hằng tháng.",
         "Các đảng viên thảo luận về kế hoạch sản xuất vụ đông và việc đóng đảng phí."],
        ["Quỹ vì người nghèo của xã nhận được nhiều tấm lòng quí báu từ con em xa quê.",
         "Thuỷ lợi nội đồng được nạo vét trước mùa mưa bão."],
    ],
    "ban-tin-so-06-thang-06-2019.pdf": [
        ["Buổi sinh hoạt của đoàn thanh niên có nhiều nội dung mới, thu hút đông đảo đoàn viên.",
         "Ý kiến chỉ đạo của cấp trên được triển khai tới từng chi hội.",
         "Bộ phận văn phòng chuẩn bị tài liệu đầy đủ."],
        ["Hội nghị nhắc nhở các chỉ bộ cần bám sát cơ sở, nắm chắc tâm tư của nhân dân."],
    ],
    "ban-tin-so-09-thang-09-2020.pdf": [
        ["Việc lưu trữ hồ sơ được chuyển đổi số từ năm nay, giúp cán bộ tra cứu nhanh hơn."],
        ["Lưu trữ là nghiệp vụ quan trọng của văn phòng cấp ủy.", FILLER, FILLER,
         "Cuối cùng, tỉnh tiếp tục đẩy mạnh chuyển đổi số trong mọi lĩnh vực."],
    ],
    "ban-tin-so-03-thang-03-2021.pdf": [
        ["Thông tin thời sự trong nước được cập nhật hằng tuần cho các chi bộ.",
         "Hoà bình và hợp tác là xu thế chung của thời đại."],
    ],
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search")
    scans = text_scans(root / "scans", ISSUES)
    report = ingest([scans], root / "archive", IngestOptions(jobs=2))
    assert report.ok and len(report.outcomes) == len(ISSUES)
    return root / "archive"


@pytest.fixture(scope="module", params=["tantivy", "whoosh"])
def index(request: pytest.FixtureRequest, archive: Path) -> SearchIndex:
    return open_index(archive, request.param)


def issue_of(filename: str, archive: Path) -> str:
    from archive import Archive

    return next(r.id for r in Archive.open(archive).issues() if r.source == filename)


def top(index: SearchIndex, query: str, n: int = 1, **options: object) -> list[tuple[str, int]]:
    results = search(index, query, limit=10, **options)
    return [(h.issue, h.page) for h in results.hits[:n]]


@pytest.fixture(scope="module")
def ids(archive: Path) -> dict[str, str]:
    return {name[len("ban-tin-"): len("ban-tin-so-00")]: issue_of(name, archive) for name in ISSUES}


def test_query_without_diacritics_finds_the_phrase_first(index: SearchIndex, ids: dict[str, str]) -> None:
    assert top(index, "sinh hoat chi bo") == [(ids["so-01"], 1)]
    assert top(index, "sinh hoạt chỉ bộ") == [(ids["so-01"], 1)]  # one wrong tone mark


def test_exact_diacritics_rank_first(index: SearchIndex, ids: dict[str, str]) -> None:
    both = {(ids["so-01"], 1), (ids["so-06"], 2)}
    assert top(index, "chỉ bộ", 1) == [(ids["so-06"], 2)]
    assert set(top(index, "chỉ bộ", 3)) >= both  # the OCR-style "chỉ bộ" page and "chi bộ"
    assert top(index, "chi bộ", 1)[0] != (ids["so-06"], 2)


def test_tone_mark_styles_and_i_y_spellings_match(index: SearchIndex, ids: dict[str, str]) -> None:
    assert top(index, "hòa bình") == [(ids["so-03"], 1)]  # page says "Hoà bình"
    assert top(index, "thủy lợi") == [(ids["so-01"], 2)]  # page says "Thuỷ lợi"
    assert top(index, "quý báu") == [(ids["so-01"], 2)]  # page says "quí báu"


def test_one_letter_off_falls_back_to_near_matches(index: SearchIndex, ids: dict[str, str]) -> None:
    results = search(index, "thnng tin thoi su", limit=5)
    assert results.fuzzy
    assert [(h.issue, h.page) for h in results.hits[:1]] == [(ids["so-03"], 1)]
    assert search(index, "sinh hoat chi bo", limit=1).fuzzy is False


def test_words_close_together_rank_above_scattered(index: SearchIndex, ids: dict[str, str]) -> None:
    hits = top(index, "luu tru chuyen doi so", 2)
    assert hits == [(ids["so-09"], 1), (ids["so-09"], 2)]
    assert top(index, "chuyen doi so luu tru", 2) == hits  # compounds in another order


def test_scattered_words_still_match_all_words(index: SearchIndex, ids: dict[str, str]) -> None:
    hits = search(index, "sinh hoat chi bo", limit=10).hits
    complete = {(h.issue, h.page) for h in hits if not h.relaxed}
    assert (ids["so-06"], 1) in complete  # sinh hoạt ... chỉ đạo ... chi hội ... Bộ phận
    assert (ids["so-03"], 1) not in complete  # has chi bộ but not sinh hoạt
    for partial in [h for h in hits if (h.issue, h.page) == (ids["so-03"], 1)]:
        assert partial.relaxed and set(partial.missing) == {"sinh", "hoat"}
        assert hits.index(partial) >= len(complete)  # below every page holding all the words


def test_quoted_phrase_or_and_exclusion(index: SearchIndex, ids: dict[str, str]) -> None:
    assert set(top(index, '"sinh hoat chi bo"', 10)) == {(ids["so-01"], 1)}
    assert set(top(index, "nạo vét OR tra cứu", 10)) == {(ids["so-01"], 2), (ids["so-09"], 1)}
    assert (ids["so-06"], 1) not in set(top(index, "sinh hoat -doan", 10))
    assert (ids["so-06"], 1) in set(top(index, "sinh hoat", 10))


def test_date_filters_and_sort(index: SearchIndex, ids: dict[str, str]) -> None:
    assert {i for i, _ in top(index, "chi bo year:2019", 10)} == {ids["so-06"]}
    assert {i for i, _ in top(index, "chi bo", 10, year=2021)} == {ids["so-03"]}
    ranged = {i for i, _ in top(index, "chi bo", 10, date_from="2019-01", date_to="2020-12")}
    assert ids["so-06"] in ranged and ranged <= {ids["so-06"], ids["so-09"]}
    dated = search(index, "chi bo", limit=10, sort="date").hits
    dates = [h.date or "" for h in dated if not h.relaxed]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 3


def test_snippet_marks_every_matched_word(index: SearchIndex) -> None:
    results = search(index, "luu tru chuyen doi so", limit=3)
    wanted = {fold(canonical(s)) for s in ["luu", "tru", "chuyen", "doi", "so"]}
    for hit in results.hits:
        assert len(hit.snippet) <= 302
        assert hit.highlights
        for start, end in hit.highlights:
            assert fold(canonical(hit.snippet[start:end])) in wanted
    best = results.hits[0]
    marked = {fold(canonical(best.snippet[s:e])) for s, e in best.highlights}
    assert marked == wanted


@pytest.mark.parametrize(
    ("query", "message"),
    [("", "empty query"), ("   ", "empty query"), ("a" * 501, "too long"),
     ('"sinh hoat', "unbalanced quote"), ("OR chi", "OR needs"), ("-chi", "no word"),
     ("year:19", "not a year")],
)
def test_bad_queries_get_a_clear_message(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse(query)


def test_engines_agree(archive: Path) -> None:
    engines = [open_index(archive, name) for name in ("tantivy", "whoosh")]
    for query in ("sinh hoat chi bo", "chỉ bộ", "luu tru chuyen doi so", "hòa bình", "doan vien"):
        tantivy_hits, whoosh_hits = ([(h.issue, h.page) for h in search(e, query).hits] for e in engines)
        assert tantivy_hits[:2] == whoosh_hits[:2], query


def test_reindex_from_archive_files_alone(archive: Path, tmp_path: Path, ids: dict[str, str]) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    shutil.rmtree(copy / "index")
    for analysis in copy.glob("issues/*/pages/*.analysis.json"):
        analysis.unlink()  # even without stored analyses: they are recomputed and stored
    assert reindex(copy, "tantivy") == 7
    assert len(list(copy.glob("issues/*/pages/*.analysis.json"))) == 7
    assert top(open_index(copy), "sinh hoat chi bo") == [(ids["so-01"], 1)]


def test_version_change_rebuilds_with_a_message(archive: Path, tmp_path: Path) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    open_index(copy, "tantivy")
    settings_path = copy / "index" / "settings.json"
    settings = json.loads(settings_path.read_text())
    settings["built"]["tantivy"]["analyzer_version"] = 0
    settings_path.write_text(json.dumps(settings))
    messages: list[str] = []
    index = open_index(copy, "tantivy", notify=messages.append)
    assert any("rebuilding" in m for m in messages)
    assert index.engine.count() == 7


def test_ingest_indexes_each_issue_as_it_lands(tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    save_text_pdf(SampleIssue("x", [["Đại hội chi bộ nhiệm kỳ mới bầu ban chấp hành."]]), scans / "so-04.pdf")
    indexer = IngestIndexer(tmp_path / "archive")
    ingest([scans], tmp_path / "archive", hooks=index_hooks(indexer))
    results = search(tmp_path / "archive", "dai hoi chi bo")
    assert results.total == 1 and results.hits[0].number == 4


def test_cli_search_json_and_errors(archive: Path) -> None:
    bantin = str(Path(sys.executable).parent / "bantin")
    env = {**os.environ, "BANTIN_ARCHIVE": str(archive)}
    run = subprocess.run([bantin, "search", "sinh hoat chi bo", "--json", "--limit", "2"],
                         capture_output=True, text=True, env=env, check=True)
    data = json.loads(run.stdout)
    assert set(data) == {"query", "total", "near_total", "relaxed_total", "near", "relaxed", "suggestion",
                         "hits"} and data["total"] >= 2
    assert set(data["hits"][0]) == {"issue", "number", "date", "page", "article", "score", "near", "relaxed",
                                    "matched", "snippet", "highlights"}
    assert data["hits"][0]["number"] == 1 and data["hits"][0]["date"] == "2018-01"
    bad = subprocess.run([bantin, "search", '"chi bo'], capture_output=True, text=True, env=env)
    assert bad.returncode == 6 and "unbalanced quote" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_reindex_engine_switch_and_verify(archive: Path, tmp_path: Path) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    bantin = str(Path(sys.executable).parent / "bantin")
    run = subprocess.run([bantin, "reindex", "--archive", str(copy), "--engine", "whoosh"],
                         capture_output=True, text=True, check=True)
    assert "indexed 7 pages" in run.stdout
    settings = json.loads((copy / "index" / "settings.json").read_text())
    assert settings["engine"] == "whoosh" and "whoosh" in settings["built"]
    found = subprocess.run([bantin, "search", "hoa binh", "--archive", str(copy), "--json"],
                           capture_output=True, text=True, check=True)
    assert json.loads(found.stdout)["hits"][0]["date"] == "2021-03"
    verified = subprocess.run([bantin, "verify", "--archive", str(copy)], capture_output=True, text=True)
    assert verified.returncode == 0 and "4 issues checked, 0 problems" in verified.stdout
