"""OCR: the engine interface, and Tesseract behind it. One Tesseract run gives a page's
text, hOCR (word boxes, confidences) and a text-only PDF layer (or a group's, cut into
each page's); a page is never OCR'd twice."""

from __future__ import annotations

import hashlib
import io
import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import pikepdf
import pytesseract
from pytesseract.pytesseract import TesseractError, run_tesseract

from archive.errors import _
from pipeline.errors import InputError, MissingDependency

PAGE_TIMEOUT_S = 180  # a page that takes three minutes is stuck, not slow
_PAGE = re.compile(r"<div class=['\"]ocr_page['\"]")


@dataclass(frozen=True)
class OcrOutput:
    text: str
    hocr: str
    pdf: bytes  # one page, invisible text only, to lay over the page image


class OcrEngine(Protocol):
    """What the pipeline needs of an OCR engine. Implementations are small picklable
    values: they travel with each page job to the worker that runs it."""

    @property
    def model(self) -> str: ...

    def model_sha256(self) -> str | None:
        """Checksum of the model files, recorded with each page read."""

    def check(self) -> None:
        """Raise MissingDependency before a batch starts if the engine or model is missing."""

    def version(self) -> str: ...

    def recognize(self, image: Path, dpi: int | None, workdir: Path, alternatives: bool = False,
                  sauvola: bool = False) -> OcrOutput:
        """Read a page; with ``alternatives``, the hOCR also gives each character's
        alternatives (what diacritic correction weighs); with ``sauvola``, the page is
        binarised by local contrast (for grey, noisy or unevenly lit pages)."""

    def recognize_pages(self, images: Sequence[Path], dpi: int | None, workdir: Path,
                        alternatives: bool = False) -> list[OcrOutput]:
        """``recognize`` for several pages of one resolution, in that order: each page's
        output as a run of its own gives it."""

    def orientation(self, image: Path) -> int:
        """Degrees (0, 90, 180, 270) to turn the page clockwise to make it upright."""

    def read_lines(self, images: Sequence[Path], workdir: Path, alternatives: bool = False) -> list[str]:
        """The hOCR of each image, each holding one line of text read as one line; with
        ``alternatives``, each character's alternatives too."""


@dataclass(frozen=True)
class Tesseract:
    """Tesseract through pytesseract; ``lang`` is its model ("vie", or "vie+eng"), read
    from ``tessdata_dir`` when given (e.g. tessdata_best), else from Tesseract's own."""

    lang: str = "vie"
    tessdata_dir: Path | None = None
    timeout: int = PAGE_TIMEOUT_S  # seconds a page may take

    @property
    def model(self) -> str:
        return self.lang

    def model_sha256(self) -> str | None:
        return model_checksum(self.lang, self.tessdata_dir)

    def check(self) -> None:
        check_language(self.lang, self.tessdata_dir)

    def version(self) -> str:
        return tesseract_version()

    def recognize(self, image: Path, dpi: int | None, workdir: Path, alternatives: bool = False,
                  sauvola: bool = False) -> OcrOutput:
        return ocr_image(image, self.lang, dpi, workdir, self.tessdata_dir, self.timeout, alternatives,
                         sauvola)

    def recognize_pages(self, images: Sequence[Path], dpi: int | None, workdir: Path,
                        alternatives: bool = False) -> list[OcrOutput]:
        # One run over a list of pages: Tesseract's start (0.15 s: its model, its tables)
        # is a tenth of a page's reading, paid once for them all.
        if len(images) == 1:
            return [self.recognize(images[0], dpi, workdir, alternatives)]
        listing = workdir / "pages.list"  # not pages.txt: Tesseract writes its text there
        listing.write_text("".join(f"{image}\n" for image in images), encoding="utf-8")
        base = workdir / "pages"
        _run(listing, base, self.lang, _page_config(dpi, self.tessdata_dir, alternatives),
             self.timeout * len(images))
        return split_pages(base.with_suffix(".txt").read_text(encoding="utf-8"),
                           base.with_suffix(".hocr").read_text(encoding="utf-8"),
                           base.with_suffix(".pdf").read_bytes(), len(images))

    def read_lines(self, images: Sequence[Path], workdir: Path, alternatives: bool = False) -> list[str]:
        # One run over a list of images (Tesseract reads each as a page of its hOCR):
        # starting Tesseract and loading its model cost as much as reading a line.
        listing = workdir / "lines.txt"
        listing.write_text("".join(f"{image}\n" for image in images), encoding="utf-8")
        base = workdir / "lines"
        config = " ".join(filter(None, ["--psm 7 -c tessedit_create_hocr=1 -c hocr_font_info=0",
                                        ALTERNATIVES if alternatives else "",
                                        _tessdata_config(self.tessdata_dir)]))
        _run(listing, base, self.lang, config, self.timeout)
        hocr = base.with_suffix(".hocr").read_text(encoding="utf-8")
        pages = [m.start() for m in _PAGE.finditer(hocr)]
        if len(pages) != len(images):
            raise InputError(_("tesseract read {found} of {count} lines")
                             .format(found=len(pages), count=len(images)))
        return [hocr[a:b] for a, b in zip(pages, [*pages[1:], len(hocr)], strict=True)]

    def orientation(self, image: Path) -> int:
        """Tesseract's orientation and script detection (OSD, ``--psm 0``)."""
        try:
            osd = pytesseract.image_to_osd(str(image), config="--psm 0 -c min_characters_to_try=5",
                                           timeout=PAGE_TIMEOUT_S)
        except (TesseractError, RuntimeError):
            return 0  # too little text to tell: leave the page as it is
        found = re.search(r"Rotate: (\d+)", osd)
        return int(found.group(1)) % 360 if found else 0


# Each character's alternatives in the hOCR, from the beam search's first pass alone: its
# later passes (lstm_choice_iterations, 5 by default) list one more alternative each and
# cost 15-20% more Tesseract time; the correction lets a letter weighed with another of its
# marks bear the markings not listed (vntext.diacritics.MARK_ECHO).
ALTERNATIVES = "-c lstm_choice_mode=2 -c lstm_choice_iterations=1"


@cache
def tesseract_version() -> str:
    try:
        return f"tesseract {pytesseract.get_tesseract_version()}"
    except pytesseract.TesseractNotFoundError:
        raise MissingDependency(_("tesseract not found: install tesseract-ocr")) from None


def _tessdata_config(tessdata_dir: Path | None) -> str:
    # pytesseract splits the config with shlex and runs no shell: quoting keeps the path whole
    return f"--tessdata-dir {shlex.quote(str(tessdata_dir))}" if tessdata_dir else ""


def check_language(lang: str, tessdata_dir: Path | None = None) -> None:
    """Fail before the batch starts when the language model is missing."""
    tesseract_version()
    if tessdata_dir is not None and not tessdata_dir.is_dir():
        raise MissingDependency(_("{tessdata_dir}: no such tessdata folder")
            .format(tessdata_dir=tessdata_dir))
    installed = set(pytesseract.get_languages(config=_tessdata_config(tessdata_dir)))
    missing = [code for code in lang.split("+") if code not in installed]
    if missing:
        where = f" in {tessdata_dir}" if tessdata_dir else f": install tesseract-ocr-{missing[0]}"
        raise MissingDependency(_("tesseract language {items} not installed{where}")
            .format(items='+'.join(missing), where=where))


@cache
def model_checksum(lang: str, tessdata_dir: Path | None) -> str | None:
    """sha256 over the language's .traineddata files, in the order of ``lang``."""
    folder = tessdata_dir or _default_tessdata()
    if folder is None:
        return None
    digest = hashlib.sha256()
    for code in lang.split("+"):
        model = folder / f"{code}.traineddata"
        if not model.is_file():
            return None
        with model.open("rb") as data:
            digest.update(hashlib.file_digest(data, "sha256").digest())
    return digest.hexdigest()


@cache
def _default_tessdata() -> Path | None:
    """Where Tesseract finds its models, as it says itself."""
    listing = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False, timeout=60
    )
    found = re.search(r'"([^"]+)"', listing.stdout + listing.stderr)
    return Path(found.group(1)) if found else None


def ocr_image(image: Path, lang: str, dpi: int | None, workdir: Path, tessdata_dir: Path | None = None,
              timeout: int = 0, alternatives: bool = False, sauvola: bool = False) -> OcrOutput:
    """OCR a page image file (PGM/PPM, JPEG, PNG or TIFF) in one Tesseract run."""
    base = workdir / "ocr"
    _run(image, base, lang, _page_config(dpi, tessdata_dir, alternatives, sauvola), timeout)
    return OcrOutput(
        text=base.with_suffix(".txt").read_text(encoding="utf-8"),
        hocr=base.with_suffix(".hocr").read_text(encoding="utf-8"),
        pdf=base.with_suffix(".pdf").read_bytes(),
    )


def _page_config(dpi: int | None, tessdata_dir: Path | None, alternatives: bool,
                 sauvola: bool = False) -> str:
    # The three outputs by variable, not by config file name: a --tessdata-dir of models
    # alone (tessdata_best) has no configs folder; the alternatives (ALTERNATIVES) only
    # when asked.
    return " ".join(filter(None, [
        "-c tessedit_create_txt=1 -c tessedit_create_hocr=1 -c hocr_font_info=0",
        "-c tessedit_create_pdf=1 -c textonly_pdf=1", ALTERNATIVES if alternatives else "",
        "-c thresholding_method=2" if sauvola else "",
        f"--dpi {dpi}" if dpi else "", _tessdata_config(tessdata_dir),
    ]))


_IDS = re.compile(r"(id=['\"][a-z_]*?_)\d+")  # the page's number in every id
_PAGE_NUMBER = re.compile(r"ppageno \d+")


def split_pages(text: str, hocr: str, pdf: bytes, count: int) -> list[OcrOutput]:
    """A run over several pages cut into each page's outputs, as a run of its own writes
    them: the text between form feeds, the hOCR's head with one page (numbered as the
    first), the PDF's page alone."""
    texts = text.split("\f")
    starts = [m.start() for m in _PAGE.finditer(hocr)]
    end = hocr.rfind("</body>")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        if len(texts) != count or len(starts) != count or len(document.pages) != count or end < 0:
            raise InputError(_("tesseract read {found} of {count} pages")
                             .format(found=min(len(texts), len(starts), len(document.pages)), count=count))
        layers = []
        for page in document.pages:
            with pikepdf.new() as alone, io.BytesIO() as out:
                alone.pages.append(page)
                alone.save(out)
                layers.append(out.getvalue())
    outputs = []
    for page_text, start, stop, layer in zip(texts, starts, [*starts[1:], end], layers, strict=True):
        section = _PAGE_NUMBER.sub("ppageno 0", _IDS.sub(r"\g<1>1", hocr[start:stop].rstrip(" ")), count=1)
        outputs.append(OcrOutput(text=page_text, hocr=f"{hocr[:starts[0]]}{section} {hocr[end:]}", pdf=layer))
    return outputs


def _run(image: Path, base: Path, lang: str, config: str, timeout: int) -> None:
    try:
        run_tesseract(str(image), str(base), extension="", lang=lang, config=config,
                      timeout=timeout or PAGE_TIMEOUT_S)
    except pytesseract.TesseractNotFoundError:
        raise MissingDependency(_("tesseract not found: install tesseract-ocr")) from None
    except TesseractError as exc:
        raise InputError(_("tesseract could not read the page ({line})")
            .format(line=_first_line(exc.message))) from None
    except RuntimeError as exc:  # pytesseract's timeout
        raise InputError(_("tesseract timed out ({exc})").format(exc=exc)) from None


def _first_line(message: str) -> str:
    lines = [line for line in re.split(r"[\r\n]+", message or "") if line.strip()]
    return lines[-1].strip() if lines else "unknown error"
