"""Scale-out (issue 10): one batch through the local pool (2 processes) and through a
loopback Dask cluster (a scheduler, 2 single-thread worker processes), same run; the
driver's memory with 100 and 1,000 pages queued; and the campaign projection from the
measured pages per hour per core."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psutil
from distributed import LocalCluster
from PIL import Image, ImageDraw, ImageFont

from bantin.samples import find_font, render_page, save_image_pdf
from bench.corpus import ATTRIBUTION, pages_of, sentences
from bench.scratch import in_scratch
from pipeline import IngestOptions, dask_cluster, ingest

PAGES = 12
DPI = 300
CAMPAIGN_PAGES = 1_000_000
WEEK_HOURS = 7 * 24
QUEUED_PAGES = 1000


def main() -> dict[str, float]:
    return in_scratch("cluster", _run)


def _run(work: Path) -> dict[str, float]:
    texts = pages_of(sentences()[:PAGES * 14], 14)
    pages = [render_page(p, dpi=DPI, noise=0.3, seed=n) for n, p in enumerate(texts)]
    # three issues: one PDF's pages spread over the workers too
    pdfs = [save_image_pdf(pages[i:i + 4], work / f"so-{i // 4 + 1:02d}.pdf", DPI)
            for i in range(0, PAGES, 4)]
    print(f"\ncluster benchmark: {PAGES} pages in {len(pdfs)} scanned PDFs at {DPI} dpi ({ATTRIBUTION})")
    started = time.perf_counter()
    assert ingest(pdfs, work / "local", IngestOptions(jobs=2)).ok
    local = time.perf_counter() - started
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",  # type: ignore[no-untyped-call]
                      dashboard_address=None) as cluster:
        started = time.perf_counter()
        on_cluster = IngestOptions(executor=dask_cluster(cluster.scheduler_address))
        assert ingest(pdfs, work / "cluster", on_cluster).ok
        remote = time.perf_counter() - started
    flat = {n: driver_peak(work, n) for n in (100, QUEUED_PAGES)}
    per_core_hour = PAGES / local * 3600 / 2
    cores = CAMPAIGN_PAGES / (per_core_hour * WEEK_HOURS)
    print(f"  local pool, 2 processes     {local:6.1f} s  {PAGES / local:5.2f} pages/s")
    print(f"  Dask, 2 workers x 1 thread  {remote:6.1f} s  {PAGES / remote:5.2f} pages/s  "
          f"({remote / local:.2f}x local; goal <= 1.15)")
    print(f"  projection: {per_core_hour:,.0f} pages per core-hour on this machine ({os.cpu_count()} cores); "
          f"{CAMPAIGN_PAGES:,} pages in a week ({WEEK_HOURS} h) need {cores:,.1f} worker cores "
          "at that speed")
    print(f"  driver's peak memory (PSS) on the cluster: {flat[100]:.0f} MB with 100 pages queued, "
          f"{flat[QUEUED_PAGES]:.0f} MB with {QUEUED_PAGES:,} (small pages, 20 to a PDF)")
    return {"local_s": local, "cluster_s": remote, "ratio": remote / local, "cores_for_campaign": cores,
            "driver_mb_100": flat[100], f"driver_mb_{QUEUED_PAGES}": flat[QUEUED_PAGES]}


def driver_peak(work: Path, pages: int) -> float:
    """Peak PSS of this process (the driver) while ``pages`` small pages go through a
    loopback cluster: flat if work in flight is bounded, whatever is queued."""
    font = ImageFont.truetype(find_font(), 28)
    folder = work / f"queued-{pages}"
    folder.mkdir()
    lines = sentences()
    for issue in range(pages // 20):
        images = []
        for n in range(20):
            image = Image.new("L", (900, 120), 255)
            ImageDraw.Draw(image).text((20, 40), lines[(issue * 20 + n) % len(lines)][:50], font=font, fill=0)
            images.append(image)
        save_image_pdf(images, folder / f"so-{issue + 1:03d}.pdf", 100)
    me = psutil.Process()
    peak = [me.memory_full_info().pss]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], me.memory_full_info().pss)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",  # type: ignore[no-untyped-call]
                          dashboard_address=None) as cluster:
            options = IngestOptions(executor=dask_cluster(cluster.scheduler_address), correct=False)
            assert ingest(sorted(folder.iterdir()), work / f"queued-archive-{pages}", options).ok
    finally:
        done.set()
        sampler.join()
    return float(peak[0]) / 2**20
