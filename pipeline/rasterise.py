"""Rasterise: one page at a time into an uncompressed grey image for Tesseract.

PPM/PGM costs nothing to encode; PNG-encoding an A4 300 dpi page costs more than
OCRing it, so no page is ever PNG-encoded here.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
from PIL import Image, ImageOps

from archive.errors import _
from pipeline.errors import InputError, MissingDependency

WEB_WIDTH = 1240  # A4 at 150 dpi: sharp on a phone, light on a slow link
WEB_QUALITY = 80
RENDER_TIMEOUT_S = 180  # a page poppler cannot render in three minutes is broken


def rasterise_pdf_page(pdf: Path, index: int, dpi: int, folder: Path) -> Path:
    """Page ``index`` (from 0) of ``pdf`` as a grey PGM file in ``folder``."""
    return _pdftoppm(pdf, index, dpi, folder / "page.pgm", ["-gray"])


def _pdftoppm(pdf: Path, index: int, dpi: int, target: Path, options: list[str]) -> Path:
    """One page rendered by poppler's pdftoppm, called directly: pdf2image would run
    pdfinfo before every page (5 ms a page, a fifth of a born-digital page's cost)."""
    page = str(index + 1)
    command = ["pdftoppm", "-f", page, "-l", page, "-r", str(dpi), *options, "-singlefile",
               str(pdf), str(target.with_suffix(""))]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
    except FileNotFoundError:
        raise MissingDependency(_("pdftoppm not found: install poppler-utils")) from None
    except subprocess.TimeoutExpired:
        raise InputError(_("page {page} could not be rendered (timed out)").format(page=page)) from None
    rendered = target.with_suffix(".jpg" if "-jpeg" in options else ".pgm")
    if done.returncode != 0 or not rendered.is_file():
        reason = (done.stderr.strip().splitlines() or ["no image"])[-1]
        raise InputError(_("page {page} could not be rendered ({reason})").format(page=page, reason=reason))
    return rendered


def embedded_jpeg(pdf: Path, index: int, folder: Path) -> tuple[Path, int] | None:
    """A scanner's page: one full-page JPEG and nothing else. Tesseract reads the JPEG as
    it is, at its own resolution, and no render is needed. Returns (file, dpi) or None
    when the page is anything else (it is then rendered by poppler). The PDF is opened
    with qpdf (pikepdf), which reads only the objects of this page: a worker's memory
    does not grow with the size of the PDF its page comes from."""
    try:
        with pikepdf.open(pdf) as document:
            page = document.pages[index]
            if int(page.obj.get("/Rotate", 0)) % 360:
                return None
            resources = page.obj.get("/Resources", pikepdf.Dictionary())
            if "/Font" in resources:
                return None
            xobjects = resources.get("/XObject", pikepdf.Dictionary())
            images = list(xobjects.values())
            if len(images) != 1 or images[0].get("/Subtype") != pikepdf.Name.Image:
                return None
            image = images[0]
            found = image.get("/Filter")
            filters = list(found) if isinstance(found, pikepdf.Array) else [found]
            if (filters != [pikepdf.Name.DCTDecode] or "/SMask" in image
                    or image.get("/ColorSpace") not in (pikepdf.Name.DeviceGray, pikepdf.Name.DeviceRGB)):
                return None
            width, height = int(image["/Width"]), int(image["/Height"])
            box = [float(v) for v in page.mediabox]
            page_w, page_h = box[2] - box[0], box[3] - box[1]
            if abs(width / height - page_w / page_h) > 0.01 * (page_w / page_h):
                return None  # not drawn over the whole page
            data = image.read_raw_bytes()
    except Exception:
        return None  # anything unusual: let poppler render it
    if not data.startswith(b"\xff\xd8"):
        return None
    target = folder / "page.jpg"
    target.write_bytes(data)
    return target, round(width / (page_w / 72))


def pdf_page_preview(pdf: Path, index: int, dpi: int, folder: Path) -> bytes:
    """A web-sized JPEG of a PDF page at ``dpi``, written by poppler itself."""
    options = ["-jpeg", "-jpegopt", f"quality={WEB_QUALITY},optimize=n,progressive=n"]
    return _pdftoppm(pdf, index, dpi, folder / "preview.jpg", options).read_bytes()


EXIF_ORIENTATION = 0x0112


def _as_ppm(image: Image.Image, target: Path) -> Path:
    """Upright (EXIF orientation applied) and uncompressed: costs nothing to encode."""
    upright = ImageOps.exif_transpose(image) or image
    upright.convert("L" if upright.mode in ("1", "L", "I;16", "I") else "RGB").save(target, "PPM")
    return target


def tiff_frame(path: Path, index: int, folder: Path) -> Path:
    """Frame ``index`` of a multi-page TIFF as an uncompressed PGM/PPM file."""
    try:
        with Image.open(path) as image:
            image.seek(index)
            return _as_ppm(image, folder / f"frame-{index:04d}.ppm")
    except Exception as exc:
        raise InputError(_("page {page} of the TIFF is corrupt or truncated ({exc})")
            .format(page=index + 1, exc=exc)) from None


def upright_image(path: Path, folder: Path) -> Path:
    """The page image as Tesseract should read it: the file itself, or, when its EXIF
    orientation says it is stored turned (a phone photo), an upright PGM/PPM copy."""
    try:
        with Image.open(path) as image:
            if image.getexif().get(EXIF_ORIENTATION, 1) in (0, 1):
                return path
            return _as_ppm(image, folder / "upright.ppm")
    except Exception as exc:
        raise InputError(_("{name}: corrupt or truncated image ({exc})")
            .format(name=path.name, exc=exc)) from None


def grey_for_ocr(path: Path, folder: Path) -> Path:
    """A colour JPEG page as a grey PGM for Tesseract, which reads grey anyway: libjpeg
    decodes straight to grey (no colour conversion) in about a fifth of the time
    Tesseract takes to decode and convert the colour page itself. Other pages as they are."""
    with Image.open(path) as image:
        if image.format != "JPEG" or image.mode != "RGB":
            return path
        image.draft("L", image.size)  # now a grey image: saved as decoded, no copy
        target = folder / "grey.pgm"
        image.save(target, "PPM")
    return target


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def web_image(path: Path, width: int = WEB_WIDTH) -> bytes:
    """A web-sized JPEG of a page image (reduced by an integer factor: fast, sharp)."""
    with Image.open(path) as image:
        if image.format == "JPEG":  # let libjpeg decode at a reduced scale
            image.draft(image.mode, (width, image.height * width // max(1, image.width)))
        image.load()
        page: Image.Image = image
        if image.mode not in ("L", "RGB"):
            # palette (scanners' bilevel and grey pages), 1-bit, alpha, 16-bit: reduce()
            # takes none of them
            grey = image.mode in ("1", "L", "LA", "I", "I;16", "F") or (
                image.mode == "P" and _palette_is_grey(image)
            )
            page = image.convert("L" if grey else "RGB")
        factor = page.width // width
        small = page.reduce(factor) if factor > 1 else page
        with io.BytesIO() as out:
            small.save(out, "JPEG", quality=WEB_QUALITY)
            return out.getvalue()


def _palette_is_grey(image: Image.Image) -> bool:
    palette = image.getpalette() or []
    return all(palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette) - 2, 3))
