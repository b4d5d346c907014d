"""Process one page: the unit of work a worker process (or, later, a Dask worker) runs.

It reads its input and returns bytes; it writes nothing to the archive, so the
archive has exactly one writer however many pages run at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import math
import os
import signal
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import img2pdf
from PIL import Image

from archive.errors import _
from pipeline.correct import correct_page, correct_text_layer
from pipeline.coverage import InkMap, Reading
from pipeline.deskew import Deskewed, deskewed
from pipeline.discover import SourceKind
from pipeline.errors import InputError
from pipeline.hocr import hocr_from_text_layer, mean_confidence, runs_vertically, without_image_path
from pipeline.layer import text_layer_from_hocr
from pipeline.ocr import OcrOutput
from pipeline.probe import PageGroup, PageJob
from pipeline.rasterise import (
    embedded_jpeg,
    grey_for_ocr,
    image_size,
    pdf_page_preview,
    rasterise_pdf_page,
    tiff_frame,
    upright_image,
    web_image,
)
from pipeline.reread import reread_doubtful
from vntext import clean_text
from vntext.diacritics import archive_model, default_model

OCR = "ocr"
TEXT_LAYER = "text-layer"
PREVIEW_DPI = 150  # text-layer pages: the web image and the hOCR boxes share this raster
# A first reading under this mean word confidence may be of a page scanned upside down or
# sideways (upright text reads at 90+, turned text at about 40): orientation is checked,
# as it is when the words read run vertically (sideways one way round reads at 90+).
TRY_TURNING = 60.0
# ... or when few of its words are Vietnamese (upright pages: 90%+, turned ones about 40%),
# once there are enough words to tell
FEW_KNOWN = 0.6
ENOUGH_WORDS = 20
KNOWN_GAIN = 0.2  # a turned reading with this much more of them reads better
OSD_WIDTH = 1400  # pixels; wider pages are halved for orientation detection


@dataclass(frozen=True)
class PageResult:
    n: int
    method: str  # OCR or TEXT_LAYER
    raw_text: str
    text: str  # cleaned, NFC
    hocr: str
    image: bytes  # web-sized JPEG
    picture_pdf: bytes | None  # the page picture as a PDF (image sources only)
    layer_pdf: bytes | None  # Tesseract's invisible text for the page (OCR'd pages only)
    confidence: float | None
    words: int
    width: int  # pixel size of the raster the hOCR refers to
    height: int
    dpi: int
    ocr_engine: str | None
    ocr_model: str | None
    rotation: int = 0  # degrees the page was turned clockwise to read it upright (OSD)
    corrected: int = 0  # words whose marks the diacritic correction changed
    ocr_model_sha256: str | None = None
    derived: dict[str, str] = field(default_factory=dict)  # by suffix (IngestHooks.page_derived)
    unread: list[list[int]] = field(default_factory=list)  # inked regions left without words
    reading: str | None = None  # the words as read with their alternatives (pipeline.correct)


def init_worker() -> None:
    """Tesseract's OpenMP threads fight the process pool for cores: one thread per page.
    Pillow's warnings about a page's metadata (corrupt EXIF) are not the archivist's
    business: a page that cannot be read fails with its own one-line reason. A worker
    dies with the ingest that forked it: it holds a copy of the archive's lock (flock
    follows the open file into a fork), and a worker left behind by an ingest killed
    outright would keep every later writer waiting."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    warnings.filterwarnings("ignore", module="PIL")
    _die_with_parent()


def _die_with_parent() -> None:
    """Linux's PR_SET_PDEATHSIG: SIGKILL when the parent process ends (elsewhere, nothing)."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took hold
        os._exit(1)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class _Raster:
    """A page ready to read: the raster (``image``), the file Tesseract reads (``read``:
    the raster, or a colour scan's grey copy), its resolution and its web image."""

    image: Path
    read: Path
    dpi: int
    preview: bytes


PageOutcome = PageResult | Exception  # a page that could not be read fails alone


def process_page(job: PageJob) -> PageResult:
    if job.text_layer is not None:
        return _text_layer_page(job)
    with tempfile.TemporaryDirectory(prefix="bantin-page-") as tmp:
        workdir = Path(tmp)
        return _after_reading(job, _prepare(job, workdir), None, workdir)


def process_pages(jobs: PageGroup) -> list[PageOutcome]:
    """Pages of one issue, their first readings done in one Tesseract run (its start paid
    once: ``OcrEngine.recognize_pages``), each page then finished as ``process_page``
    finishes it. What goes wrong with a page is that page's outcome alone."""
    if len(jobs) == 1 or any(job.text_layer is not None for job in jobs):
        return [_outcome(process_page, job) for job in jobs]
    with tempfile.TemporaryDirectory(prefix="bantin-pages-") as tmp:
        folders = [Path(tmp) / str(k) for k in range(len(jobs))]
        rasters: list[_Raster | Exception] = []
        for job, folder in zip(jobs, folders, strict=True):
            folder.mkdir()
            rasters.append(_outcome(partial(_prepare, workdir=folder), job))
        readings = _first_readings(jobs, rasters, Path(tmp))
        return [raster if isinstance(raster, Exception)
                else _outcome(partial(_after_reading, raster=raster, ocr=ocr, workdir=folder), job)
                for job, raster, ocr, folder in zip(jobs, rasters, readings, folders, strict=True)]


def _first_readings(jobs: PageGroup, rasters: list[_Raster | Exception],
                    workdir: Path) -> list[OcrOutput | None]:
    """The first reading of each page ready to read, one Tesseract run per resolution;
    none where the shared run failed (each page is then read alone, so a bad one fails
    alone)."""
    readings: list[OcrOutput | None] = [None] * len(jobs)
    by_dpi: dict[int, list[tuple[int, _Raster]]] = {}
    for k, raster in enumerate(rasters):
        if not isinstance(raster, Exception):
            by_dpi.setdefault(raster.dpi, []).append((k, raster))
    for dpi, pages in by_dpi.items():
        job = jobs[pages[0][0]]
        with contextlib.suppress(InputError):
            read = job.ocr.recognize_pages([r.read for _, r in pages], dpi, workdir, alternatives=job.correct)
            for (k, _), ocr in zip(pages, read, strict=True):
                readings[k] = ocr
    return readings


T = TypeVar("T")


def _outcome(step: Callable[[PageJob], T], job: PageJob) -> T | Exception:
    try:
        return step(job)
    except Exception as exc:  # as the page run alone would raise it, for the ingest to report
        return exc


def _prepare(job: PageJob, workdir: Path) -> _Raster:
    image, dpi = _raster(job, workdir)
    preview = _preview(image)  # decodes the page: a corrupt one fails here, before OCR
    return _Raster(image, grey_for_ocr(image, workdir), dpi, preview)


def _after_reading(job: PageJob, raster: _Raster, ocr: OcrOutput | None, workdir: Path) -> PageResult:
    """The page read (unless its first reading is given) and everything after: orientation,
    ink coverage, doubtful lines, diacritic correction, the text layer."""
    image, read, dpi, preview = raster.image, raster.read, raster.dpi, raster.preview
    if ocr is None:
        ocr = job.ocr.recognize(read, dpi, workdir, alternatives=job.correct)
    confidence, words = mean_confidence(ocr.hocr)
    rotation = 0
    sideways = runs_vertically(ocr.hocr)
    known = vietnamese_share(ocr.text)
    if confidence is not None and (confidence < TRY_TURNING or sideways or known < FEW_KNOWN):
        turned = _turned(job, image, workdir)
        if turned is not None:  # keep the turned page only where it reads better
            upright, angle = turned
            again = job.ocr.recognize(upright, dpi, upright.parent, alternatives=job.correct)
            better, count = mean_confidence(again.hocr)
            upright_now = sideways and not runs_vertically(again.hocr)
            if better is not None and (better > confidence or upright_now
                                       or vietnamese_share(again.text) > known + KNOWN_GAIN):
                image, ocr, confidence, words, rotation = upright, again, better, count, angle
                read, preview = upright, _preview(image)
    inked = _read_all_ink(job, image, read, dpi, workdir, ocr)
    ocr, straight = inked.ocr, inked.straight
    confidence, words = mean_confidence(ocr.hocr)
    width, height = image_size(image)
    # a straightened page's lines are read again on it, where a line is a row of it
    lines = reread_doubtful(ocr.hocr, ocr.text, straight.image if straight else image, job.ocr,
                            default_model(), workdir, job.correct)
    placed = straight.placed_back(lines.hocr) if straight else lines.hocr
    page = correct_page(lines.text, placed, archive_model(job.trusted)) if job.correct else None
    hocr = page.hocr if page else placed
    text = clean_text(page.text if page else lines.text)
    if lines.lines or straight:  # Tesseract's own layer holds the first reading, where it read it
        layer = text_layer_from_hocr(hocr, width, height, dpi)
    else:
        layer = correct_text_layer(ocr.pdf, page.corrections) if page else ocr.pdf
    return PageResult(
        n=job.n, method=OCR, raw_text=lines.text, text=text, derived=_derived(job, text),
        hocr=without_image_path(hocr),
        image=preview, picture_pdf=_picture_pdf(job, image, rotation),
        layer_pdf=layer,
        confidence=confidence, words=words, width=width, height=height, dpi=dpi,
        ocr_engine=job.ocr.version(), ocr_model=job.ocr.model, rotation=rotation,
        corrected=len(page.corrections) if page else 0, ocr_model_sha256=job.ocr.model_sha256(),
        unread=inked.unread, reading=page.reading if page else None,
    )


@dataclass(frozen=True)
class _Inked:
    """The reading that leaves least of the page's ink unread, and what it left."""

    ocr: OcrOutput
    unread: list[list[int]]  # regions (raster boxes), when the page stays doubtful
    straight: Deskewed | None  # the page read straightened: the reading's boxes are on it


def _read_all_ink(job: PageJob, image: Path, read: Path, dpi: int, workdir: Path,
                  ocr: OcrOutput) -> _Inked:
    """The reading that leaves least of the page's ink unread: where the first left much
    (pipeline.coverage), the page is read again binarised by local contrast (Sauvola),
    then, if still much is unread, straightened (pipeline.deskew); a reading is kept if
    it covers more without reading less Vietnamese. The ink is judged on the page
    ``image`` (a scanner's JPEG decodes at a reduced scale), the reading done on
    ``read``, the same page as Tesseract reads it."""
    ink = InkMap.of(image)
    best, straight = ink.reading(ocr.hocr), None
    if best.doubtful:
        again = job.ocr.recognize(read, dpi, workdir, alternatives=job.correct, sauvola=True)
        reading = ink.reading(again.hocr)
        if _covers_more(reading, best, again, ocr):
            ocr, best = again, reading
    if best.doubtful:
        straightened = deskewed(read, workdir)
        if straightened is not None:
            again = job.ocr.recognize(straightened.image, dpi, workdir, alternatives=job.correct)
            reading = ink.reading(straightened.placed_back(again.hocr))
            if _covers_more(reading, best, again, ocr):
                ocr, best, straight = again, reading, straightened
    return _Inked(ocr, [list(box) for box in best.unread] if best.doubtful else [], straight)


def _covers_more(reading: Reading, best: Reading, again: OcrOutput, ocr: OcrOutput) -> bool:
    known = vietnamese_share(ocr.text) if ocr.text.split() else 0.0
    return reading.unread_cells < best.unread_cells and vietnamese_share(again.text) >= known - KNOWN_GAIN


def vietnamese_share(text: str) -> float:
    """The share of the words read that are Vietnamese syllables (1.0 for too few words
    to tell: a nearly empty page is no reason to check its orientation)."""
    share, words = default_model().known_share(text)
    return share if words >= ENOUGH_WORDS else 1.0


def _turned(job: PageJob, image: Path, workdir: Path) -> tuple[Path, int] | None:
    """The page turned upright, when OSD (on a half-size copy: cheap) finds it turned."""
    folder = workdir / "turned"
    folder.mkdir()
    with Image.open(image) as page:
        # palette and 1-bit pages as grey: reduce() and PPM take neither
        plain = page.convert("L" if page.mode in ("1", "L", "LA", "P") else "RGB")
    grey = plain.convert("L")
    (grey.reduce(2) if grey.width > OSD_WIDTH else grey).save(folder / "osd.png")
    angle = job.ocr.orientation(folder / "osd.png")
    if angle == 0:
        return None
    plain.rotate(-angle, expand=True).save(folder / "upright.ppm", "PPM")  # OSD's angle is clockwise
    return folder / "upright.ppm", angle


def _derived(job: PageJob, text: str) -> dict[str, str]:
    """Derived files made beside the page work; a failure here leaves them to the
    writer's own hook (they are derived: never a reason to lose the page)."""
    if job.derive is None:
        return {}
    try:
        return job.derive(text)
    except Exception:
        return {}


def _raster(job: PageJob, workdir: Path) -> tuple[Path, int]:
    """The image Tesseract reads, and its resolution."""
    if job.kind is SourceKind.pdf:
        return embedded_jpeg(job.path, job.index, workdir) or (
            rasterise_pdf_page(job.path, job.index, job.dpi, workdir), job.dpi
        )
    if job.kind is SourceKind.tiff:
        return tiff_frame(job.path, job.index, workdir), job.dpi
    # Tesseract reads JPEG, PNG and TIFF itself: no re-encoding unless the page is turned
    return upright_image(job.path, workdir), job.dpi


def _preview(image: Path) -> bytes:
    """The web-sized JPEG; truncated or corrupt image data shows only when decoded."""
    try:
        return web_image(image)
    except Exception as exc:
        raise InputError(_("{name}: corrupt or truncated image ({exc})")
            .format(name=image.name, exc=exc)) from None


def _text_layer_page(job: PageJob) -> PageResult:
    layer = job.text_layer
    assert layer is not None
    with tempfile.TemporaryDirectory(prefix="bantin-page-") as tmp:
        preview = pdf_page_preview(job.path, job.index, PREVIEW_DPI, Path(tmp))
    text = clean_text(layer.text)
    return PageResult(
        n=job.n, method=TEXT_LAYER, raw_text=layer.text, text=text, derived=_derived(job, text),
        hocr=hocr_from_text_layer(layer, PREVIEW_DPI), image=preview,
        picture_pdf=None, layer_pdf=None, confidence=None,
        words=sum(len(line) for block in layer.blocks for line in block),
        width=math.ceil(layer.width / 72 * PREVIEW_DPI), height=math.ceil(layer.height / 72 * PREVIEW_DPI),
        dpi=PREVIEW_DPI, ocr_engine=None, ocr_model=None,
    )


def _picture_pdf(job: PageJob, raster: Path, rotation: int) -> bytes | None:
    """The page's picture as a one-page PDF, the image embedded without re-encoding where
    img2pdf can (JPEG, PNG, TIFF); a page turned upright embeds the upright raster. PDF
    sources keep their own pages (see assemble)."""
    if job.kind is SourceKind.pdf:
        return None
    layout = img2pdf.get_fixed_dpi_layout_fun((job.dpi, job.dpi))
    source = job.path if job.kind is SourceKind.images and not rotation else raster
    try:
        return bytes(img2pdf.convert(str(source), layout_fun=layout, rotation=img2pdf.Rotation.ifvalid))
    except Exception:
        # Alpha channels, odd TIFF modes and PPM frames: embed the upright raster Tesseract
        # read, as JPEG, so the text layer fits it without any turn.
        with Image.open(raster) as image, io.BytesIO() as out:
            image.convert("L" if image.mode in ("1", "L", "LA") else "RGB").save(
                out, "JPEG", quality=90
            )
            return bytes(img2pdf.convert(out.getvalue(), layout_fun=layout))
