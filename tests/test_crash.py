"""A batch killed mid-way loses nothing and duplicates nothing when run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive import Archive, ArchiveError
from bantin.ingesting import index_hooks
from bantin.samples import render_issue, sample_issues, save_image_pdf
from tests.conftest import TEST_DPI


def test_killed_batch_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    for issue in sample_issues():
        save_image_pdf(render_issue(issue, dpi=TEST_DPI), scans / f"{issue.name}.pdf", TEST_DPI)
    archive = tmp_path / "archive"
    command = [str(Path(sys.executable).parent / "bantin"), "ingest", str(scans),
               "--archive", str(archive), "--jobs", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        landed = list((archive / "issues").glob("*/issue.json")) if (archive / "issues").is_dir() else []
        if landed:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the batch finished before it could be interrupted"
    os.killpg(process.pid, signal.SIGKILL)  # the whole process group: no clean shutdown
    process.wait()
    before = Archive.open(archive).issue_ids()
    assert 1 <= len(before) < 4
    for folder in (archive / "issues").iterdir():
        assert (folder / "issue.json").is_file(), f"half-written issue {folder.name}"
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{4 - len(before)} added, {len(before)} already present, 0 failed" in rerun.stdout
    after = Archive.open(archive).issue_ids()
    assert len(after) == 4 and set(before) <= set(after)
    staging = archive / ".staging"
    assert not staging.exists() or not any(staging.iterdir())
    assert all(Archive.open(archive).verify(i) == [] for i in after)


def _tesseract_workers() -> list[int]:
    """Pool worker processes of this test process that are running Tesseract now."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if "(tesseract)" not in stat.read_text():
                continue
            parent = int(fields[1])
            grandparent = int(Path(f"/proc/{parent}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if grandparent == os.getpid():
            workers.append(parent)
    return workers


def test_a_worker_killed_mid_page_is_retried_and_the_batch_goes_on(tmp_path: Path) -> None:
    import threading

    from index import IngestIndexer, open_index
    from pipeline import IngestOptions, IngestReport, ingest

    scans = tmp_path / "scans"
    scans.mkdir()
    issues = sample_issues()[:2]
    for issue in issues:
        save_image_pdf(render_issue(issue, dpi=TEST_DPI) * 2, scans / f"{issue.name}.pdf", TEST_DPI)
    archive = tmp_path / "archive"
    indexer = IngestIndexer(archive)
    reports: list[IngestReport] = []
    run = threading.Thread(target=lambda: reports.append(ingest(
        [scans], archive, IngestOptions(jobs=2), index_hooks(indexer)
    )))
    run.start()
    deadline = time.monotonic() + 60
    killed = None
    while killed is None and time.monotonic() < deadline:
        workers = _tesseract_workers()
        if workers:
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        time.sleep(0.02)
    run.join(timeout=300)
    assert killed is not None, "no worker was caught running Tesseract"
    [report] = reports
    assert report.ok, report.outcomes
    ids = Archive.open(archive).issue_ids()
    assert len(ids) == 2
    assert all(len(Archive.open(archive).load_issue(i).pages) == 4 for i in ids)
    assert all(Archive.open(archive).verify(i) == [] for i in ids)
    assert open_index(archive).engine.issues() == set(ids)


def _ocr_running(group: int, archive: Path) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(tesseract)" in text and int(text.rsplit(")", 1)[1].split()[2]) == group:
            return True
    return False


def _staging_written(group: int, archive: Path) -> bool:
    staging = archive / ".staging"
    return staging.is_dir() and any(staging.glob("*/pages/*"))


def test_batch_killed_at_random_moments_lands_every_source_exactly_once(tmp_path: Path) -> None:
    import random

    from index import open_index

    scans = tmp_path / "scans"
    scans.mkdir()
    for noise in (0.0, 0.2):
        for issue in sample_issues():
            pages = render_issue(issue, dpi=TEST_DPI, noise=noise)
            save_image_pdf(pages, scans / f"{issue.name}-{noise}.pdf", TEST_DPI)
            folder = scans / f"{issue.name}-{noise}-pages"  # page images: another kind of source
            folder.mkdir()
            for n, page in enumerate(pages, start=1):
                page.save(folder / f"trang-{n}.png", dpi=(TEST_DPI, TEST_DPI))
    sources = sorted(p.name for p in scans.iterdir())
    archive = tmp_path / "archive"
    command = [str(Path(sys.executable).parent / "bantin"), "-q", "ingest", str(scans),
               "--archive", str(archive), "--jobs", "2"]
    rng = random.Random(2026)
    kills = 0
    for attempt in range(30):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        # every other kill while Tesseract reads a page, the others while an issue is being
        # written to staging; then a random moment more
        during = _ocr_running if attempt % 2 == 0 else _staging_written
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline and not during(process.pid, archive):
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.3))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
        if kills == 10:
            break
    final = subprocess.run(command[:1] + command[2:], capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    store = Archive.open(archive)
    records = store.issues()
    assert sorted(r.source for r in records) == sources  # each source exactly once
    assert all(store.verify(r.id) == [] for r in records)
    assert open_index(archive).engine.issues() == {r.id for r in records}
    assert kills == 10


def test_an_archive_creation_cut_short_is_taken_up_again(tmp_path: Path) -> None:
    # killed after the issues folder and before the marker's rename: what is left
    root = tmp_path / "archive"
    (root / "issues").mkdir(parents=True)
    (root / ".archive.json.4242.tmp").write_bytes(b'{"format": "bant')
    Archive.open(root, create=True)
    assert Archive.open(root).issues() == [] and not (root / ".archive.json.4242.tmp").exists()
    # a folder holding anything else is still refused
    other = tmp_path / "other"
    (other / "issues" / "x").mkdir(parents=True)
    with pytest.raises(ArchiveError, match="not empty"):
        Archive.open(other, create=True)
