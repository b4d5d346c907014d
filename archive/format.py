"""Records stored in ``issue.json`` (archive format version 2: version 1 had no
``visibility``; ``archive.migrate`` upgrades it)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

FORMAT_VERSION = 2
VISIBILITIES = ("public", "internal")  # internal: signed-in readers only


@dataclass(frozen=True)
class PageRecord:
    """One page: how its text was obtained and the raster its hOCR coordinates refer to."""

    n: int
    method: str  # "ocr" or "text-layer"
    confidence: float | None  # mean word confidence 0..100 (OCR only)
    words: int
    width: int  # pixel size of the raster the hOCR boxes refer to
    height: int
    dpi: int
    ocr_engine: str | None = None  # e.g. "tesseract 5.3.0"
    ocr_model: str | None = None  # e.g. "vie"
    rotation: int = 0  # degrees turned clockwise to read the scan upright (0 when it was)
    corrected: int = 0  # words whose tone or vowel marks the post-OCR correction changed
    ocr_model_sha256: str | None = None  # of the model's .traineddata files
    unread: list[list[int]] = field(default_factory=list)  # boxes with ink and no word read

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageRecord:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class IssueRecord:
    """One bulletin issue in the archive; ``id`` is derived from the source's sha256."""

    id: str
    number: int | None
    date: str | None  # ISO 8601, "2019-05" or "2019-05-15"
    title: str | None
    source: str  # the original file or folder name
    source_kind: str  # "pdf", "images" or "tiff"
    source_sha256: str
    provenance: dict[str, str]  # field -> "manifest", "masthead" or "filename"
    pages: list[PageRecord]
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256 (fixity)
    derived: list[str] = field(default_factory=list)  # recomputable files, not checksummed
    history: list[dict[str, Any]] = field(default_factory=list)  # metadata corrections
    ingested_at: str = ""
    visibility: str = "public"  # one of VISIBILITIES
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IssueRecord:
        values: dict[str, Any] = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        values["pages"] = [PageRecord.from_dict(p) for p in data.get("pages", [])]
        return cls(**values)

    def summary(self) -> dict[str, Any]:
        """What ``bantin list --json`` prints for an issue."""
        return {
            "id": self.id,
            "number": self.number,
            "date": self.date,
            "title": self.title,
            "pages": len(self.pages),
            "source": self.source,
            "visibility": self.visibility,
        }


def upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """An ``issue.json`` of an older format version as this version writes it: version 1
    had no visibility, and every issue was public."""
    return {"visibility": "public", **data, "format_version": FORMAT_VERSION}


def valid_date(text: str) -> bool:
    """'2019', '2019-05' or a real day such as '2019-05-15' ('2019-13-45' is not)."""
    return first_day(text) is not None


def first_day(text: str) -> date | None:
    """The first day a date names ('2019-05' -> 2019-05-01); None when it is not a date."""
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
        return None
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        return date(parts[0], parts[1], parts[2])
    except ValueError:
        return None
