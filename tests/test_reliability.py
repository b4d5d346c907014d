"""Reliability and preservation: the bad-input suite, verify and repair, corrections,
BagIt export and re-ingest, one writer at a time, and a full disk."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import bagit
import pytest

from archive import Archive
from bantin.samples import SampleIssue, save_text_pdf
from index import open_index, search
from index.manager import index_lock
from tests.archives import ingest_into, text_scans
from tests.resources.make_bad import write_bad_inputs

BANTIN = str(Path(sys.executable).parent / "bantin")

ISSUES = {
    "ban-tin-so-01-thang-01-2020.pdf": [["Chi bộ thôn Đông tổ chức sinh hoạt chuyên đề về chuyển đổi số."],
                                        ["Đoàn thanh niên ra quân làm sạch kênh mương nội đồng."]],
    "ban-tin-so-02-thang-02-2020.pdf": [["Hội nông dân xã tập huấn kỹ thuật trồng lúa chất lượng cao."]],
    "ban-tin-so-03-thang-03-2020.pdf": [["Quỹ khuyến học của dòng họ trao học bổng cho học sinh nghèo."]],
}


def bantin(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BANTIN, *args], capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]


def make_scans(folder: Path) -> Path:
    return text_scans(folder, ISSUES)


@pytest.fixture()
def archive(tmp_path: Path) -> Path:
    ingest_into(tmp_path / "archive", [make_scans(tmp_path / "scans")])
    return tmp_path / "archive"


def test_bad_input_suite(tmp_path: Path) -> None:
    cases = write_bad_inputs(tmp_path / "bad")
    archive = tmp_path / "archive"
    run = bantin("ingest", str(tmp_path / "bad"), "--archive", str(archive), "--jobs", "2", cwd=tmp_path)
    assert run.returncode == 1, run.stderr  # some inputs failed, the rest landed
    assert "Traceback" not in run.stderr and "Warning" not in run.stderr
    lines = run.stdout.splitlines() + run.stderr.splitlines()
    for case, (path, expect) in cases.items():
        shown = str(path).replace("\n", "\\n")  # a newline in a name is shown escaped
        mine = [line for line in lines if ": " in line and line.split(": ", 1)[1].startswith(shown)]
        assert mine, f"{case}: no line names {shown}"
        assert any(expect in line for line in mine), (case, mine)
    # each broken page of the folder has its own line; the issue does not land
    assert sum(line.startswith(f"failed: {tmp_path / 'bad' / 'so-hong'}: ") for line in lines) == 4
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()  # nothing executed
    store = Archive.open(archive)
    by_source = {r.source: r for r in store.issues()}
    assert set(by_source) == {"vong-lap", "bang-mau", "xref-hong.pdf", "type3.pdf",
                              cases["spaces, Vietnamese letters, a newline and $(...)"][0].name}
    assert [p.method for p in by_source["type3.pdf"].pages] == ["ocr"]  # no usable text layer
    assert "chuyển đổi số" in store.page_text(by_source["xref-hong.pdf"].id, 1)
    assert "repaired" in run.stdout
    loop_files = sorted(f for f in by_source["vong-lap"].files if f.startswith("source/"))
    assert loop_files == ["source/vong-lap/trang-1.png"]  # page images only, no link followed
    assert all(store.verify(r.id) == [] for r in by_source.values())
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kb < 2_000_000, f"peak memory {peak_kb} kB: a bomb was decoded"
    again = bantin("ingest", str(tmp_path / "bad"), "--archive", str(archive), "--jobs", "2", cwd=tmp_path)
    assert "0 added, 5 already present" in again.stdout and len(store.issue_ids()) == 5


def test_verify_reports_each_problem_and_repairs_the_index(archive: Path) -> None:
    store = Archive.open(archive)
    ids = store.issue_ids()
    assert bantin("verify", "--archive", str(archive)).returncode == 0
    first, second, third = (store.issue_dir(i) for i in ids)
    (first / "pages" / "0001.txt").write_text("sửa trộm", encoding="utf-8")
    (second / "pages" / "0001.hocr").unlink()
    (third / "pages" / "ghost.txt").write_text("không ai ghi", encoding="utf-8")
    (archive / ".staging" / "cut-short").mkdir(parents=True)
    index = open_index(archive)
    index.remove_issue(ids[1])  # the index lost an issue
    (archive / "issues" / "not-an-issue").mkdir()
    verified = bantin("verify", "--archive", str(archive), "--json")
    assert verified.returncode == 1
    report = json.loads(verified.stdout)
    problems = {(p["path"], p["problem"]) for p in report["problems"]}
    assert (f"{ids[0]}/pages/0001.txt", "checksum mismatch") in problems
    assert (f"{ids[1]}/pages/0001.hocr", "missing") in problems
    assert (f"{ids[2]}/pages/ghost.txt", "unexpected file") in problems
    assert any(path == ".staging" for path, _ in problems)
    assert any(path == "issues/not-an-issue" for path, _ in problems)
    assert report["index"] == {"missing": [ids[1]], "stale": []}
    repaired = bantin("verify", "--archive", str(archive), "--repair-index")
    assert "index repaired: 1 issues indexed" in repaired.stderr
    assert json.loads(bantin("verify", "--archive", str(archive), "--json").stdout)["index"] == {
        "missing": [], "stale": []}
    assert open_index(archive).engine.issues() == set(ids)


def test_edit_keeps_history_and_the_index_follows(archive: Path) -> None:
    store = Archive.open(archive)
    record = next(r for r in store.issues() if r.number == 2)
    bad = bantin("edit", record.id, "--date", "2019-13-45", "--archive", str(archive))
    assert bad.returncode == 2 and "real date" in bad.stderr
    done = bantin("edit", record.id[:8], "--date", "2021-05-15", "--number", "12", "--note", "in sai ngày",
                  "--archive", str(archive))
    assert done.returncode == 0, done.stderr
    edited = store.load_issue(record.id)
    assert (edited.date, edited.number) == ("2021-05-15", 12)
    assert [(h["field"], h["old"], h["new"], h["note"]) for h in edited.history] == [
        ("number", 2, 12, "in sai ngày"), ("date", "2020-02", "2021-05-15", "in sai ngày")]
    assert edited.provenance["date"] == "edited"
    hits = search(open_index(archive), "trong lua", year=2021).hits
    assert [(h.issue, h.number) for h in hits if not h.relaxed] == [(record.id, 12)]
    assert bantin("verify", "--archive", str(archive)).returncode == 0


def test_remove_asks_first_and_takes_the_issue_out_of_archive_and_index(archive: Path) -> None:
    store = Archive.open(archive)
    record = next(r for r in store.issues() if r.number == 3)
    refused = bantin("remove", record.id, "--archive", str(archive), input="n\n")
    assert refused.returncode == 1 and store.has_issue(record.id)
    removed = bantin("remove", record.id, "--yes", "--archive", str(archive))
    assert removed.returncode == 0 and not store.has_issue(record.id)
    assert record.id not in open_index(archive).engine.issues()
    assert not any(h.issue == record.id for h in search(open_index(archive), "khuyen hoc").hits)
    assert bantin("verify", "--archive", str(archive)).returncode == 0


def test_bagit_export_reingests_into_an_identical_archive(archive: Path, tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    exported = bantin("export", "--bagit", str(bag), "--archive", str(archive))
    assert exported.returncode == 0 and "exported 3 issues" in exported.stdout
    bagit.Bag(str(bag)).validate()
    assert (bag / "manifest-sha256.txt").is_file() and (bag / "manifest-sha512.txt").is_file()
    assert "Bantin-Issues: 3" in (bag / "bag-info.txt").read_text(encoding="utf-8")
    copy = tmp_path / "restored"
    landed = bantin("ingest", str(bag), "--archive", str(copy))
    assert landed.returncode == 0 and "3 added" in landed.stdout, landed.stderr
    original, restored = Archive.open(archive), Archive.open(copy)
    assert restored.issue_ids() == original.issue_ids()
    for issue_id in original.issue_ids():
        assert restored.load_issue(issue_id).files == original.load_issue(issue_id).files
        assert (restored.issue_dir(issue_id) / "issue.json").read_bytes() == (
            original.issue_dir(issue_id) / "issue.json").read_bytes()
    assert bantin("verify", "--archive", str(copy)).returncode == 0
    assert search(open_index(copy), "khuyen hoc").hits[0].number == 3
    assert "3 already present" in bantin("ingest", str(bag), "--archive", str(copy)).stdout
    one = tmp_path / "one"
    first = original.issue_ids()[0]
    some = bantin("export", "--bagit", str(one), "--issue", first, "--archive", str(archive))
    assert "exported 1 issue " in some.stdout
    (one / "data" / "issues" / original.issue_ids()[0] / "pages" / "0001.txt").write_text("x", "utf-8")
    broken = bantin("ingest", str(one), "--archive", str(tmp_path / "other"))
    assert broken.returncode == 1 and "not a valid BagIt bag" in broken.stderr


def test_one_writer_at_a_time(archive: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    save_text_pdf(SampleIssue("m", [["Chi bộ khu phố tổng kết công tác năm."]]), extra / "so-04.pdf")
    store = Archive.open(archive)
    with store.writer_lock("test"):
        busy = bantin("ingest", str(extra), "--archive", str(archive))
        assert busy.returncode == 3 and "locked by pid" in busy.stderr and "bantin test" in busy.stderr
        waiting = subprocess.Popen([BANTIN, "ingest", str(extra), "--archive", str(archive), "--wait"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        assert waiting.poll() is None  # still waiting for the lock
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0 and "1 added" in out and "waiting for" in err
    # a lock file left by a process that no longer runs is stale: said, and cleared
    (archive / ".lock").write_text("pid 999999 on elsewhere, bantin ingest since 2026-01-01\n")
    rerun = bantin("ingest", str(extra), "--archive", str(archive))
    assert rerun.returncode == 0 and "cleared a stale lock left by pid 999999" in rerun.stderr


def test_index_rebuilds_wait_for_each_other(archive: Path) -> None:
    with index_lock(Archive.open(archive)):
        rebuild = subprocess.Popen([BANTIN, "reindex", "--archive", str(archive)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        assert rebuild.poll() is None  # waits while another index writer works
    out, _ = rebuild.communicate(timeout=120)
    assert rebuild.returncode == 0 and "indexed 4 pages" in out


def test_a_full_disk_stops_cleanly_and_the_next_run_completes(tmp_path: Path) -> None:
    scans = make_scans(tmp_path / "scans")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(disk)], check=True)
    try:
        archive = disk / "archive"
        full = bantin("ingest", str(scans), "--archive", str(archive), "--jobs", "1", "--no-index")
        assert full.returncode == 3, full.stdout + full.stderr
        assert "No space left on device" in full.stderr and "Traceback" not in full.stderr
        assert len(full.stderr.strip().splitlines()) == 1
        store = Archive.open(archive)
        landed = store.issue_ids()
        assert len(landed) < 3 and all(store.verify(i) == [] for i in landed)
        assert not any((archive / ".staging").glob("*/*"))  # nothing half-written kept
        subprocess.run(["mount", "-o", "remount,size=20m", str(disk)], check=True)
        rerun = bantin("ingest", str(scans), "--archive", str(archive), "--jobs", "1")
        assert rerun.returncode == 0, rerun.stderr
        assert len(store.issue_ids()) == 3 and bantin("verify", "--archive", str(archive)).returncode == 0
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_manifest_refuses_impossible_dates(tmp_path: Path) -> None:
    scans = make_scans(tmp_path / "scans")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,number,date,title\nban-tin-so-01-thang-01-2020.pdf,1,2019-13-45,\n", "utf-8")
    run = bantin("ingest", str(scans), "--archive", str(tmp_path / "a"), "--manifest", str(manifest))
    assert run.returncode != 0 and "2019-13-45" in run.stderr and "not a date" in run.stderr
