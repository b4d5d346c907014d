"""The seams between packages: fixity covers the source of truth only, errors carry their
exit code to the CLI, a damaged archive or index file gives one line, never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import index.analysis
import index.manager
from archive import Archive, ExitCode
from bantin.cli import handled
from bantin.ingesting import index_hooks
from bantin.samples import SampleIssue, save_text_pdf
from index import open_index, reindex, search
from pipeline import ingest

BANTIN = str(Path(sys.executable).parent / "bantin")


@pytest.fixture()
def archive(tmp_path: Path) -> Path:
    scans = tmp_path / "scans"
    scans.mkdir()
    save_text_pdf(SampleIssue("x", [["Chi bộ thôn Đông tổ chức sinh hoạt chi bộ định kỳ."],
                                    ["Thuỷ lợi nội đồng được nạo vét trước mùa mưa bão."]]),
                  scans / "ban-tin-so-02-thang-02-2020.pdf")
    from index import IngestIndexer

    indexer = IngestIndexer(tmp_path / "archive")
    assert ingest([scans], tmp_path / "archive", hooks=index_hooks(indexer)).ok
    return tmp_path / "archive"


def bantin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BANTIN, *args], capture_output=True, text=True)


def test_derived_files_are_listed_apart_from_checksummed_files(archive: Path) -> None:
    store = Archive.open(archive)
    [record] = store.issues()
    assert record.derived == ["articles.json", "pages/0001.analysis.json", "pages/0002.analysis.json"]
    assert not set(record.derived) & set(record.files)
    assert {"issue.pdf", "pages/0001.txt", "pages/0001.hocr", "pages/0002.jpg"} <= set(record.files)


def test_analyzer_upgrade_and_reindex_keep_verify_passing(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Archive.open(archive)
    [issue_id] = store.issue_ids()
    before = store.page_file(issue_id, 1, ".analysis.json").read_bytes()
    monkeypatch.setattr(index.analysis, "ANALYZER_VERSION", 99)
    monkeypatch.setattr(index.manager, "ANALYZER_VERSION", 99)
    assert reindex(archive) == 2
    after = store.page_file(issue_id, 1, ".analysis.json").read_bytes()
    assert after != before and json.loads(after)["analyzer_version"] == 99
    assert store.verify(issue_id) == []
    verified = bantin("verify", "--archive", str(archive))
    assert verified.returncode == 0, verified.stderr
    assert search(open_index(archive), "sinh hoat chi bo").hits[0].page == 1


def test_a_changed_source_file_still_fails_verify(archive: Path) -> None:
    [page] = archive.glob("issues/*/pages/0002.txt")
    page.write_text("sửa tay", encoding="utf-8")
    verified = bantin("verify", "--archive", str(archive))
    assert verified.returncode == ExitCode.input_failed
    assert "pages/0002.txt: checksum mismatch" in verified.stderr


def test_damaged_archive_file_is_one_line_with_its_code(archive: Path) -> None:
    (archive / "archive.json").write_text("{not json", encoding="utf-8")
    listed = bantin("list", "--archive", str(archive))
    assert listed.returncode == ExitCode.archive_error
    assert "archive.json: unreadable" in listed.stderr
    assert "Traceback" not in listed.stderr and len(listed.stderr.strip().splitlines()) == 1


def test_damaged_index_settings_rebuild_the_index(archive: Path) -> None:
    (archive / "index" / "settings.json").write_text("[1, 2", encoding="utf-8")
    found = bantin("search", "nao vet", "--archive", str(archive), "--json")
    assert found.returncode == 0, found.stderr
    assert "rebuilding" in found.stderr
    assert json.loads(found.stdout)["hits"][0]["page"] == 2


def test_unexpected_error_hints_at_verbose_which_shows_the_traceback(archive: Path) -> None:
    [page] = archive.glob("issues/*/pages/0001.txt")
    page.unlink()
    page.mkdir()  # reading it fails in a way no bantin error describes
    issue_id = page.parent.parent.name
    plain = bantin("show", issue_id, "--archive", str(archive))
    assert plain.returncode == ExitCode.other_error
    assert "unexpected error: IsADirectoryError" in plain.stderr and "rerun with -v" in plain.stderr
    assert "Traceback" not in plain.stderr
    verbose = bantin("-v", "show", issue_id, "--archive", str(archive))
    assert verbose.returncode == ExitCode.other_error and "Traceback" in verbose.stderr


def test_missing_issue_and_quiet(archive: Path) -> None:
    missing = bantin("-q", "show", "ffff", "--archive", str(archive))
    assert missing.returncode == ExitCode.not_found and "no issue" in missing.stderr
    copy = archive.parent / "copy"
    shutil.copytree(archive, copy)
    shutil.rmtree(copy / "index")
    quiet = bantin("-q", "search", "chi bo", "--archive", str(copy))
    loud = bantin("search", "chi bo", "--archive", str(archive.parent / "copy"))
    assert quiet.returncode == loud.returncode == 0
    assert quiet.stderr == ""  # the index was built without a word


def test_ctrl_c_maps_to_130() -> None:
    with pytest.raises(SystemExit) as exit_info, handled():
        raise KeyboardInterrupt
    assert exit_info.value.code == ExitCode.ctrl_c
