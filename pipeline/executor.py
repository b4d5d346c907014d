"""The executor seam: where page work runs.

Any ``concurrent.futures``-style executor serves: the local process pool today; a Dask
cluster's executor in the scale-out work. The ingest job only submits ``process_page``
and waits on the futures it gets back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol

from pipeline.pages import PageResult, init_worker
from pipeline.probe import PageJob


class PageExecutor(Protocol):
    def submit(self, fn: Callable[[PageJob], PageResult], job: PageJob, /) -> Future[PageResult]: ...

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...


ExecutorFactory = Callable[[int], PageExecutor]  # workers -> a started executor


def local_pool(workers: int) -> PageExecutor:
    """``workers`` processes on this machine, one Tesseract thread each."""
    return ProcessPoolExecutor(max_workers=workers, initializer=init_worker)


def default_workers() -> int:
    return os.cpu_count() or 1
