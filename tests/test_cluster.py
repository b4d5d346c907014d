"""Scale-out: the same ingest on a real Dask cluster (a scheduler and two worker processes
on loopback) lands the same archive as the local pool: same ids, texts and checksums."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from distributed import LocalCluster

from archive import Archive
from bantin.samples import SampleIssue, render_issue, save_image_folder, save_image_pdf, save_tiff
from pipeline import IngestOptions, dask_cluster, ingest
from tests.conftest import TEST_DPI

BANTIN = str(Path(sys.executable).parent / "bantin")


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as running:
        yield running


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, SampleIssue]) -> Path:
    folder = tmp_path_factory.mktemp("scans")
    pages = render_issue(samples["so-03-2019"], dpi=TEST_DPI)
    save_image_pdf(pages, folder / "so-03-2019.pdf", TEST_DPI)
    save_image_folder(render_issue(samples["so-05-2019"], dpi=TEST_DPI), folder / "so-05-2019")
    save_tiff(render_issue(samples["so-12-2020"], dpi=TEST_DPI), folder / "so-12-2020.tif", TEST_DPI)
    (folder / "hong.pdf").write_bytes(b"%PDF-1.4\nnot really")  # bad input: reported, batch goes on
    return folder


def _content(root: Path) -> dict[str, tuple[object, ...]]:
    """What must match between two archives: ids, page texts and every file's checksum
    (issue.pdf aside: it is assembled by the driver in both runs)."""
    archive = Archive.open(root)
    return {
        record.id: (
            record.number, record.date, record.source,
            [archive.page_text(record.id, p.n) for p in record.pages],
            {name: digest for name, digest in record.files.items() if name != "issue.pdf"},
            [(p.confidence, p.words, p.rotation, p.corrected) for p in record.pages],
        )
        for record in archive.issues()
    }


def test_a_cluster_lands_the_same_archive_as_the_local_pool(tmp_path: Path, scans: Path,
                                                            cluster: LocalCluster) -> None:
    inputs = sorted(scans.iterdir())
    local = ingest(inputs, tmp_path / "local", IngestOptions(jobs=2))
    on_cluster = IngestOptions(executor=dask_cluster(cluster.scheduler_address))
    remote = ingest(inputs, tmp_path / "cluster", on_cluster)
    # without shared storage: each page's bytes travel with its job
    streamed = IngestOptions(executor=dask_cluster(cluster.scheduler_address, stream=True))
    sent = ingest(inputs, tmp_path / "streamed", streamed)
    for report in (local, remote, sent):
        assert [o.status.value for o in report.outcomes].count("added") == 3
        assert [o.path.name for o in report.outcomes if o.status.value == "failed"] == ["hong.pdf"]
    assert _content(tmp_path / "cluster") == _content(tmp_path / "local")
    assert _content(tmp_path / "streamed") == _content(tmp_path / "local")
    assert len(_content(tmp_path / "cluster")) == 3


def test_bantin_ingest_scheduler(tmp_path: Path, scans: Path, cluster: LocalCluster) -> None:
    done = subprocess.run(
        [BANTIN, "ingest", str(scans / "so-05-2019"), "--archive", str(tmp_path / "a"),
         "--scheduler", cluster.scheduler_address, "--json"],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    [outcome] = json.loads(done.stdout)["outcomes"]
    assert outcome["status"] == "added" and outcome["pages"] == 2
    search = subprocess.run([BANTIN, "search", "chi bo", "--archive", str(tmp_path / "a"), "--json"],
                            capture_output=True, text=True)
    assert json.loads(search.stdout)["total"] >= 1
    unreachable = subprocess.run(
        [BANTIN, "ingest", str(scans / "so-05-2019"), "--archive", str(tmp_path / "b"),
         "--scheduler", "tcp://127.0.0.1:9"], capture_output=True, text=True,
    )
    assert unreachable.returncode == 4
    assert "tcp://127.0.0.1:9" in unreachable.stderr.strip().splitlines()[-1]


def test_a_worker_killed_mid_page_loses_no_page(tmp_path: Path, samples: dict[str, SampleIssue],
                                                cluster: LocalCluster) -> None:
    """SIGKILL a Dask worker while Tesseract runs under it: the scheduler reruns its pages
    on a worker (the nanny starts a new one) and every page lands."""
    import os
    import signal
    import threading
    import time

    import psutil
    from distributed import Client

    pages = [p for issue in ("so-03-2019", "so-05-2019", "so-12-2020")
             for p in render_issue(samples[issue], dpi=TEST_DPI)]
    pdf = save_image_pdf(pages, tmp_path / "so-gop.pdf", TEST_DPI)
    with Client(cluster.scheduler_address) as client:
        workers = set(client.run(os.getpid).values())
    killed: list[int] = []

    def kill_one_mid_page() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for pid in workers:
                try:
                    busy = any(c.name() == "tesseract" for c in psutil.Process(pid).children())
                except psutil.NoSuchProcess:
                    continue
                if busy:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_mid_page)
    killer.start()
    report = ingest([pdf], tmp_path / "a", IngestOptions(executor=dask_cluster(cluster.scheduler_address)))
    killer.join()
    assert killed, "no worker was caught running Tesseract"
    assert report.ok, report.outcomes
    [record] = Archive.open(tmp_path / "a").issues()
    assert len(record.pages) == len(pages)
    assert all(Archive.open(tmp_path / "a").page_text(record.id, p.n).strip() for p in record.pages)


def test_a_streamed_page_needs_nothing_but_its_bytes(tmp_path: Path, scans: Path) -> None:
    """What a worker without the inputs' storage gets is enough: each kind of source,
    packed by the driver, read after the source is gone, reads as from the source."""
    import shutil

    from pipeline.discover import discover
    from pipeline.ocr import Tesseract
    from pipeline.pages import PageResult, process_page, process_pages
    from pipeline.probe import plan_pages
    from pipeline.stream import pack, run_streamed

    copies = tmp_path / "in"
    shutil.copytree(scans, copies)
    inputs = [copies / "so-03-2019.pdf", copies / "so-05-2019", copies / "so-12-2020.tif"]
    for source in discover(inputs).sources:
        # the last two pages (index > 0), read alone, and as a group in one Tesseract run
        jobs = tuple(plan_pages(source, 300, Tesseract(), tmp_path).jobs[-2:])
        assert len(jobs) == 2, source.path.name
        direct = [process_page(job) for job in jobs]
        pages = [pack(job) for job in jobs]
        shutil.move(source.path, tmp_path / f"gone-{source.path.name}")
        streamed = run_streamed(process_pages, jobs, pages)
        for one, grouped in zip(direct, streamed, strict=True):
            assert isinstance(grouped, PageResult), grouped
            assert (grouped.n, grouped.text, grouped.hocr, grouped.width, grouped.dpi) == (
                one.n, one.text, one.hocr, one.width, one.dpi), source.path.name


def test_a_group_whose_shared_reading_fails_reads_each_page_alone(tmp_path: Path, scans: Path) -> None:
    """A worker reads a group of pages in one Tesseract run; should that run fail, each
    page is read alone (the same result as a page read alone), and a page that cannot be
    read fails alone, its outcome in its place."""
    from dataclasses import dataclass, replace

    from pipeline.discover import discover
    from pipeline.errors import InputError
    from pipeline.ocr import OcrOutput, Tesseract
    from pipeline.pages import PageResult, process_page, process_pages
    from pipeline.probe import plan_pages

    @dataclass(frozen=True)
    class SharedRunFails(Tesseract):
        def recognize_pages(self, images: Sequence[Path], dpi: int | None, workdir: Path,
                            alternatives: bool = False) -> list[OcrOutput]:
            raise InputError("the shared run failed")

    source = discover([scans / "so-03-2019.pdf"]).sources[0]
    first, second = (replace(job, ocr=SharedRunFails())
                     for job in plan_pages(source, 300, Tesseract(), tmp_path).jobs[:2])
    missing = replace(second, n=9, index=8)  # the PDF has no ninth page
    outcomes = process_pages((first, missing, second))
    assert isinstance(outcomes[1], InputError), outcomes[1]
    for job, outcome in ((first, outcomes[0]), (second, outcomes[2])):
        alone = process_page(job)
        assert isinstance(outcome, PageResult), outcome
        assert (outcome.n, outcome.text, outcome.hocr) == (alone.n, alone.text, alone.hocr)
