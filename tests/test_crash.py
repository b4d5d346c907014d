"""A batch killed mid-way loses nothing and duplicates nothing when run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from archive import Archive
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
