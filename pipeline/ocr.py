"""OCR: the engine interface, and Tesseract behind it. One Tesseract run per page gives
text, hOCR (word boxes, confidences) and a text-only PDF layer; a page is never OCR'd twice."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import pytesseract
from pytesseract.pytesseract import TesseractError, run_tesseract

from pipeline.errors import InputError, MissingDependency

PAGE_TIMEOUT_S = 600  # a page that takes ten minutes is stuck, not slow


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

    def check(self) -> None:
        """Raise MissingDependency before a batch starts if the engine or model is missing."""

    def version(self) -> str: ...

    def recognize(self, image: Path, dpi: int | None, workdir: Path) -> OcrOutput: ...

    def orientation(self, image: Path) -> int:
        """Degrees (0, 90, 180, 270) to turn the page clockwise to make it upright."""


@dataclass(frozen=True)
class Tesseract:
    """Tesseract through pytesseract; ``lang`` is its model ("vie", or "vie+eng")."""

    lang: str = "vie"

    @property
    def model(self) -> str:
        return self.lang

    def check(self) -> None:
        check_language(self.lang)

    def version(self) -> str:
        return tesseract_version()

    def recognize(self, image: Path, dpi: int | None, workdir: Path) -> OcrOutput:
        return ocr_image(image, self.lang, dpi, workdir)

    def orientation(self, image: Path) -> int:
        """Tesseract's orientation and script detection (OSD, ``--psm 0``)."""
        try:
            osd = pytesseract.image_to_osd(str(image), config="--psm 0 -c min_characters_to_try=5",
                                           timeout=PAGE_TIMEOUT_S)
        except (TesseractError, RuntimeError):
            return 0  # too little text to tell: leave the page as it is
        found = re.search(r"Rotate: (\d+)", osd)
        return int(found.group(1)) % 360 if found else 0


@cache
def tesseract_version() -> str:
    try:
        return f"tesseract {pytesseract.get_tesseract_version()}"
    except pytesseract.TesseractNotFoundError:
        raise MissingDependency("tesseract not found: install tesseract-ocr") from None


def check_language(lang: str) -> None:
    """Fail before the batch starts when the language model is missing."""
    tesseract_version()
    installed = set(pytesseract.get_languages(config=""))
    missing = [code for code in lang.split("+") if code not in installed]
    if missing:
        raise MissingDependency(
            f"tesseract language {'+'.join(missing)} not installed: "
            f"install tesseract-ocr-{missing[0]}"
        )


def ocr_image(image: Path, lang: str, dpi: int | None, workdir: Path) -> OcrOutput:
    """OCR a page image file (PGM/PPM, JPEG, PNG or TIFF) in one Tesseract run."""
    base = workdir / "ocr"
    config = "-c textonly_pdf=1" + (f" --dpi {dpi}" if dpi else "")
    try:
        run_tesseract(
            str(image), str(base), extension="txt hocr pdf", lang=lang, config=config,
            timeout=PAGE_TIMEOUT_S,
        )
    except pytesseract.TesseractNotFoundError:
        raise MissingDependency("tesseract not found: install tesseract-ocr") from None
    except TesseractError as exc:
        raise InputError(f"tesseract could not read the page ({_first_line(exc.message)})") from None
    except RuntimeError as exc:  # pytesseract's timeout
        raise InputError(f"tesseract timed out ({exc})") from None
    return OcrOutput(
        text=base.with_suffix(".txt").read_text(encoding="utf-8"),
        hocr=base.with_suffix(".hocr").read_text(encoding="utf-8"),
        pdf=base.with_suffix(".pdf").read_bytes(),
    )


def _first_line(message: str) -> str:
    lines = [line for line in re.split(r"[\r\n]+", message or "") if line.strip()]
    return lines[-1].strip() if lines else "unknown error"
