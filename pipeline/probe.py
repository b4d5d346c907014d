"""Probe: check a source before any page is processed and plan its pages.

Everything that can be known cheaply (encryption, page count, pixel size, a text
layer) is found here, in the main process, so a broken input fails with a clear
line before any OCR time is spent on it.
"""

from __future__ import annotations

import logging
import math
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from archive.errors import _
from pipeline.discover import Source, SourceKind
from pipeline.errors import InputError
from pipeline.ocr import OcrEngine
from pipeline.textlayer import TextLayerPage, read_text_layer

# A0 at 300 dpi is 139 Mpx; anything larger is a broken header or a decompression bomb.
MAX_PIXELS = 150_000_000
POINTS_PER_INCH = 72
MIN_DPI = 50  # a page that only fits under MAX_PIXELS below this is not a page


PageDerive = Callable[[str], dict[str, str]]  # clean page text -> derived files by suffix


@dataclass(frozen=True)
class PageJob:
    """Everything a worker needs to process one page; picklable, so it can travel."""

    n: int  # page number in the issue, from 1
    kind: SourceKind
    path: Path  # the PDF, the TIFF, or the page image
    index: int  # page of the PDF or frame of the TIFF, from 0
    dpi: int  # raster resolution for OCR (PDF pages), or the image's own
    ocr: OcrEngine
    text_layer: TextLayerPage | None = None
    correct: bool = True  # diacritic correction after OCR (vntext.diacritics)
    derive: PageDerive | None = None  # derived files from the page's clean text (IngestHooks)
    trusted: Path | None = None  # the archive's trusted-text counts, for the diacritic correction


PageGroup = tuple[PageJob, ...]  # pages of one issue read in one Tesseract run


@dataclass(frozen=True)
class Plan:
    jobs: list[PageJob]
    notes: tuple[str, ...] = ()  # what the archivist should know (e.g. a lowered resolution)


def plan_pages(source: Source, dpi: int, ocr: OcrEngine, workdir: Path) -> Plan:
    """Check the source and list its pages (text layers come later: ``with_text_layer``).
    A page folder with broken pages fails naming every one of them, one line each; a
    damaged PDF that qpdf can repair is read from a repaired copy in ``workdir``."""
    if source.kind is SourceKind.pdf:
        try:
            return _plan_pdf(source.path, dpi, ocr)
        except InputError as exc:
            repaired = _repair(source.path, workdir)
            if repaired is None:
                raise exc from None
            plan = _plan_pdf(repaired[0], dpi, ocr)
            return replace(plan, notes=(repaired[1], *plan.notes))
    if source.kind is SourceKind.tiff:
        _, _, frames, image_dpi = _image_info(source.path)
        return Plan([
            PageJob(n + 1, source.kind, source.path, n, image_dpi or dpi, ocr)
            for n in range(frames)
        ])
    jobs = []
    broken = dict(line.split(": ", 1) for line in source.broken)
    for n, path in enumerate(source.files, start=1):
        if path.name in broken:
            continue
        try:
            _, _, _, image_dpi = _image_info(path)
        except InputError as exc:
            broken[path.name] = str(exc)
            continue
        jobs.append(PageJob(n, source.kind, path, 0, image_dpi or dpi, ocr))
    if broken:
        for job in jobs:  # name the truncated ones too, so one re-scan fixes every page
            problem = _decode_problem(job.path)
            if problem:
                broken[job.path.name] = problem
        raise InputError("\n".join(f"{name}: {reason}" for name, reason in broken.items()))
    return Plan(jobs)


def _repair(pdf: Path, workdir: Path) -> tuple[Path, str] | None:
    """A repaired copy of a damaged PDF (qpdf, through pikepdf, rebuilds a broken
    cross-reference table), and what was repaired; None when it cannot be."""
    target = workdir / f"repaired-{uuid.uuid4().hex[:8]}.pdf"
    try:
        with pikepdf.open(pdf, suppress_warnings=True) as document:
            if document.is_encrypted:
                return None
            said = document.get_warnings()
            document.save(target)
    except Exception:  # qpdf could not make sense of it either
        return None
    detail = said[0].splitlines()[0].replace(f"{pdf}: ", "")[:100] if said else "damaged structure"
    return target, f"damaged PDF repaired with qpdf ({detail}); the original is kept as it was"


def _decode_problem(path: Path) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                image.load()
    except Exception as exc:
        return f"corrupt or truncated image ({exc})"
    return None


def _image_info(path: Path) -> tuple[int, int, int, int | None]:
    """Size, frame count and resolution from the header; decoding happens in the worker."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                frames = int(getattr(image, "n_frames", 1))
                raw_dpi = image.info.get("dpi")
    except Image.DecompressionBombError:
        raise InputError(_("image too large (over {limit:,} pixels)").format(limit=MAX_PIXELS)) from None
    except Exception as exc:
        raise InputError(_("corrupt or unsupported image ({exc})").format(exc=exc)) from None
    if width * height > MAX_PIXELS:
        raise InputError(_("image too large: {width}x{height} pixels (limit {limit:,})")
            .format(width=width, height=height, limit=MAX_PIXELS))
    if width < 16 or height < 16:
        raise InputError(_("image too small to read: {width}x{height} pixels")
            .format(width=width, height=height))
    dpi = round(float(raw_dpi[0])) if raw_dpi and raw_dpi[0] else None
    return width, height, frames, dpi if dpi and 50 <= dpi <= 1200 else None


def _plan_pdf(path: Path, dpi: int, ocr: OcrEngine) -> Plan:
    repairs = _Repairs()
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(repairs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(path, strict=False)
            if reader.is_encrypted:
                raise InputError(_("encrypted PDF (remove the password and ingest again)"))
            boxes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InputError(_("corrupt or truncated PDF ({exc})").format(exc=exc)) from None
    finally:
        pypdf_log.removeHandler(repairs)
    if not boxes:
        raise InputError(_("PDF has no pages"))
    jobs, notes = [], []
    if repairs.seen:
        notes.append(_("damaged PDF repaired on reading ({repair}); the original is kept as it was").format(
            repair=repairs.seen[0]))
    for n, (w, h) in enumerate(boxes, start=1):
        if w <= 0 or h <= 0:
            raise InputError(_("page {n} has no size ({w:.0f}x{h:.0f} pt)").format(n=n, w=w, h=h))
        page_dpi = min(dpi, int(math.sqrt(MAX_PIXELS / (w * h)) * POINTS_PER_INCH))
        if page_dpi < MIN_DPI:
            raise InputError(_("page {n} is {w:.0f}x{h:.0f} pt, too large to rasterise at {dpi} dpi")
                .format(n=n, w=w, h=h, dpi=MIN_DPI))
        if page_dpi < dpi:
            notes.append(_("page {n} is {w:.0f}x{h:.0f} pt: read at {dpi} dpi, the most {mpx} Mpx "
                           "allow").format(n=n, w=w, h=h, dpi=page_dpi, mpx=MAX_PIXELS // 1_000_000))
        jobs.append(PageJob(n, SourceKind.pdf, path, n - 1, page_dpi, ocr))
    return Plan(jobs, tuple(notes))


class _Repairs(logging.Handler):
    """What pypdf had to repair while reading a damaged PDF (as qpdf would): said in the
    report, the way paperless-ngx does."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(word in message.lower() for word in ("xref", "startxref", "trailer", "repair")):
            self.seen.append(message.splitlines()[0][:120])


def with_text_layer(jobs: list[PageJob]) -> list[PageJob]:
    """Attach each PDF page's text layer, where it holds real text (the page then skips
    OCR). Read when the issue starts, so a large batch never holds every layer at once."""
    if not jobs or jobs[0].kind is not SourceKind.pdf:
        return jobs
    layer = read_text_layer(jobs[0].path, len(jobs))
    return [replace(job, text_layer=layer[job.index]) if layer[job.index].usable else job for job in jobs]
