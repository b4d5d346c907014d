"""Memory (issue 10): the peak of the whole process tree (sum of PSS: the driver, its
workers and their Tesseract runs) while ``bantin ingest --jobs 2`` lands a 300-page
scanned PDF of 150 dpi JPEG pages, sampled every 0.1 s."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from bantin.samples import render_page, save_image_pdf
from bench.corpus import ATTRIBUTION, pages_of, sentences
from bench.scratch import in_scratch

PAGES = 300
DPI = 150
GOAL_MB = 1024


def tree_pss(root: psutil.Process) -> tuple[int, dict[str, int]]:
    """Sum of PSS over the process and its descendants, and per kind of process."""
    total, kinds = 0, {"driver": 0, "workers": 0, "tesseract": 0}
    for process in [root, *root.children(recursive=True)]:
        try:
            pss = process.memory_full_info().pss
            name = process.name()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += pss
        kind = "driver" if process.pid == root.pid else "tesseract" if "tesseract" in name else "workers"
        kinds[kind] += pss
    return total, kinds


def main() -> dict[str, float]:
    return in_scratch("memory", _run)


def _run(work: Path) -> dict[str, float]:
    texts = pages_of(sentences(), 10)
    pages = [render_page(texts[n % len(texts)], dpi=DPI, noise=0.3, seed=n) for n in range(PAGES)]
    pdf = save_image_pdf(pages, work / "so-dac-biet-300-trang.pdf", DPI)
    del pages
    print(f"\nmemory benchmark: {PAGES}-page scanned PDF, {DPI} dpi JPEG pages, "
          f"{pdf.stat().st_size / 2**20:.0f} MB ({ATTRIBUTION})")
    bantin = str(Path(sys.executable).parent / "bantin")
    started = time.perf_counter()
    command = [bantin, "ingest", str(pdf), "--archive", str(work / "archive"), "--jobs", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    peak: list[tuple[int, dict[str, int]]] = [(0, {})]
    page_work = [0]  # workers and their Tesseract runs, at their own peak

    def sample() -> None:
        while process.poll() is None:
            seen = tree_pss(watched)
            peak[0] = max(peak[0], seen, key=lambda s: s[0])
            page_work[0] = max(page_work[0], seen[1]["workers"] + seen[1]["tesseract"])
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, errors = process.communicate()
    sampler.join()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"bantin ingest failed: {errors}")
    total, kinds = peak[0]
    mb = {k: v / 2**20 for k, v in kinds.items()}
    print(f"  peak tree PSS {total / 2**20:,.0f} MB (goal <= {GOAL_MB}): driver {mb['driver']:.0f} MB, "
          f"2 workers {mb['workers']:.0f} MB, Tesseract runs {mb['tesseract']:.0f} MB; "
          f"{elapsed:.0f} s, {PAGES / elapsed:.2f} pages/s")
    share = page_work[0] / 2 / 2**20
    print(f"  one worker's share at its peak (its process and its Tesseract run): {share:.0f} MB; "
          f"--jobs 16 would need about {16 * share / 1024 + total / 2**30:.1f} GB")
    return {"peak_mb": total / 2**20, "worker_share_mb": share, **mb}
