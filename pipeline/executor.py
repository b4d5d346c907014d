"""The executor seam: where page work runs.

Any ``concurrent.futures``-style executor serves: the local process pool, or a Dask
distributed cluster (``dask_cluster``). The ingest job only submits ``process_pages`` (a
few pages of one issue at a time) and waits on the futures it gets back; it stays the
single writer of the archive.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol

from archive.errors import _
from pipeline.errors import InputError, MissingDependency
from pipeline.pages import PageOutcome, init_worker
from pipeline.probe import PageGroup
from pipeline.stream import PageData, pack, run_streamed

PagesFn = Callable[[PageGroup], list[PageOutcome]]


class PageExecutor(Protocol):
    def submit(self, fn: PagesFn, group: PageGroup, /) -> Future[list[PageOutcome]]: ...

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...


ExecutorFactory = Callable[[int], PageExecutor]  # workers -> a started executor


def local_pool(workers: int) -> PageExecutor:
    """``workers`` processes on this machine, one Tesseract thread each."""
    return ProcessPoolExecutor(max_workers=workers, initializer=init_worker)


def default_workers() -> int:
    return os.cpu_count() or 1


def capacity(executor: PageExecutor, asked: int) -> int:
    """Pages the executor runs at once: a cluster says how many threads it has."""
    threads = getattr(executor, "threads", None)
    return threads if isinstance(threads, int) and threads > 0 else asked


def on_worker(fn: PagesFn, group: PageGroup) -> list[PageOutcome]:
    """Run page work on a cluster worker, set up as the local pool sets up its processes."""
    init_worker()
    return fn(group)


class DaskPages:
    """Page work on an existing Dask distributed cluster. Each page is one task (rasterise,
    OCR, correction, clean-up); the worker reads the source at the page job's path, so
    the inputs must be on storage every worker sees at the same path. A task whose worker
    dies is rerun by the scheduler; a page that fails is retried once, then reported.
    With ``stream``, each page's bytes travel with its job instead (``pipeline.stream``),
    for workers that do not share the inputs' storage."""

    def __init__(self, address: str, stream: bool = False) -> None:
        from distributed import Client  # only a cluster run needs distributed loaded

        try:
            self.client = Client(address, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise MissingDependency(_("{address}: no Dask scheduler answers there ({exc})")
                .format(address=address, exc=exc)) from None
        self.executor = self.client.get_executor(pure=False, retries=1)
        self.stream = stream

    @property
    def threads(self) -> int:
        return sum(self.client.nthreads().values())

    def submit(self, fn: PagesFn, group: PageGroup, /) -> Future[list[PageOutcome]]:
        if self.stream:
            pages: list[PageData | InputError] = []
            for job in group:
                try:
                    pages.append(pack(job))
                except InputError as exc:  # a page the driver cannot cut out fails like any page
                    pages.append(exc)
            streamed: Future[list[PageOutcome]] = self.executor.submit(run_streamed, fn, group, pages)
            return streamed
        future: Future[list[PageOutcome]] = self.executor.submit(on_worker, fn, group)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.executor.shutdown(wait=wait and not cancel_futures)
        self.client.close()


def dask_cluster(address: str, stream: bool = False) -> ExecutorFactory:
    """An executor factory for the cluster whose scheduler listens at ``address``
    (``tcp://HOST:8786``); the number of workers is the cluster's. ``stream``: send each
    page's bytes (workers without the inputs' storage)."""
    return lambda _workers: DaskPages(address, stream)
