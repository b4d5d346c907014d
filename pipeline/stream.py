"""Page work for workers that cannot see the inputs (no shared storage): the driver sends
each page's own bytes with its job, and the worker reads them from a scratch folder.

A PDF page travels as a one-page PDF cut by qpdf (its streams untouched), a TIFF frame
as a one-frame lossless TIFF, a page image as its file: the worker reads exactly what
it would have read from the source, so the archive is the same either way.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf
from PIL import Image

from archive.errors import _
from pipeline.discover import SourceKind
from pipeline.errors import InputError
from pipeline.pages import PageOutcome, init_worker
from pipeline.probe import PageGroup, PageJob


@dataclass(frozen=True)
class PageData:
    name: str  # file name on the worker
    data: bytes


def pack(job: PageJob) -> PageData:
    """The bytes of one page of the job's source (run by the driver)."""
    if job.kind is SourceKind.pdf:
        with pikepdf.open(job.path) as source, pikepdf.new() as page, io.BytesIO() as out:
            page.pages.append(source.pages[job.index])
            page.save(out)
            return PageData("page.pdf", out.getvalue())
    if job.kind is SourceKind.tiff:
        try:
            with Image.open(job.path) as image, io.BytesIO() as out:
                image.seek(job.index)
                dpi = image.info.get("dpi", (job.dpi, job.dpi))
                image.save(out, "TIFF", compression="tiff_deflate", dpi=dpi)
                return PageData("page.tif", out.getvalue())
        except Exception as exc:
            raise InputError(_("page {page} of the TIFF is corrupt or truncated ({exc})")
                .format(page=job.index + 1, exc=exc)) from None
    return PageData(job.path.name, job.path.read_bytes())


def run_streamed(fn: Callable[[PageGroup], list[PageOutcome]], group: PageGroup,
                 pages: Sequence[PageData | InputError]) -> list[PageOutcome]:
    """On the worker: each page written to a scratch folder, then the usual page work; a
    page the driver could not cut out keeps its error."""
    init_worker()
    with tempfile.TemporaryDirectory(prefix="bantin-stream-") as scratch:
        jobs = []
        for k, (job, page) in enumerate(zip(group, pages, strict=True)):
            if isinstance(page, PageData):
                path = Path(scratch) / str(k) / page.name
                path.parent.mkdir()
                path.write_bytes(page.data)
                index = 0 if job.kind in (SourceKind.pdf, SourceKind.tiff) else job.index
                jobs.append(replace(job, path=path, index=index))
        outcomes = iter(fn(tuple(jobs)))
        return [page if isinstance(page, InputError) else next(outcomes) for page in pages]
