"""Issue number and date: from a CSV manifest, else the masthead on page 1, else the
file or folder name. A value that none of them gives stays None, never guessed."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path

from archive.errors import _
from archive.format import valid_date
from pipeline.errors import InputError
from vntext import fold

MASTHEAD_CHARS = 800  # the masthead sits at the top of page 1


@dataclass(frozen=True)
class Metadata:
    number: int | None = None
    date: str | None = None  # ISO 8601: "2019-05" or "2019-05-15"
    title: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)

    def merged(self, fallback: Metadata) -> Metadata:
        """Fill the values this one lacks from ``fallback``, keeping where each came from."""
        values: dict[str, object] = {}
        provenance = dict(self.provenance)
        for name in ("number", "date", "title"):
            mine = getattr(self, name)
            if mine is None and getattr(fallback, name) is not None:
                values[name] = getattr(fallback, name)
                provenance[name] = fallback.provenance[name]
            else:
                values[name] = mine
        return Metadata(provenance=provenance, **values)  # type: ignore[arg-type]


def iso_date(year: int, month: int, day: int | None = None) -> str | None:
    if not 1900 <= year <= 2100 or not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return Date(year, month, day).isoformat()
    except ValueError:
        return None


# Masthead patterns run on folded text ("Số 05 - Tháng 5/2019" -> "so 05 - thang 5/2019").
_NUMBER = re.compile(r"\bso\s*[:.]?\s*(\d{1,4})\b")
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})"), ("d", "m", "y")),
    (re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\b"), ("d", "m", "y")),
    (re.compile(r"thang\s*(\d{1,2})\s*(?:[/.-]|nam)\s*(\d{4})"), ("m", "y")),
    (re.compile(r"\b(\d{4})\s*-\s*(\d{1,2})\s*-\s*(\d{1,2})\b"), ("y", "m", "d")),
)
# File and folder names: "ban-tin-so-05-thang-05-2019", "2019-05_so05", "BT_15.06.2019".
_NAME_NUMBER = re.compile(r"(?:^|[^a-z])so[-_ .]*(\d{1,4})(?!\d)")
_NAME_DATES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"(?<!\d)(\d{1,2})[-_. ](\d{1,2})[-_. ]((?:19|20)\d{2})(?!\d)"), ("d", "m", "y")),
    (re.compile(r"(?<!\d)((?:19|20)\d{2})[-_. ]?(\d{2})[-_. ]?(\d{2})(?!\d)"), ("y", "m", "d")),
    (re.compile(r"thang[-_. ]*(\d{1,2})[-_. ]+(?:nam[-_. ]*)?((?:19|20)\d{2})(?!\d)"), ("m", "y")),
    (re.compile(r"(?<!\d)((?:19|20)\d{2})[-_. ](\d{1,2})(?!\d)"), ("y", "m")),
    (re.compile(r"(?<!\d)(\d{1,2})[-_. ]((?:19|20)\d{2})(?!\d)"), ("m", "y")),
)


def _first_date(text: str, patterns: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]) -> str | None:
    for pattern, order in patterns:
        for match in pattern.finditer(text):
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            found = iso_date(parts["y"], parts["m"], parts.get("d"))
            if found:
                return found
    return None


def from_masthead(page_text: str) -> Metadata:
    head = fold(page_text[:MASTHEAD_CHARS]).lower()
    number_match = _NUMBER.search(head)
    number = int(number_match.group(1)) if number_match else None
    found_date = _first_date(head, _DATE_PATTERNS)
    return _with_provenance(number, found_date, None, "masthead")


def from_name(name: str) -> Metadata:
    stem = fold(Path(name).stem if Path(name).suffix.lower() in {".pdf", ".tif", ".tiff"} else name).lower()
    number_match = _NAME_NUMBER.search(stem)
    number = int(number_match.group(1)) if number_match else None
    return _with_provenance(number, _first_date(stem, _NAME_DATES), None, "filename")


def _with_provenance(number: int | None, day: str | None, title: str | None, origin: str) -> Metadata:
    values = {"number": number, "date": day, "title": title}
    return Metadata(
        number=number, date=day, title=title,
        provenance={k: origin for k, v in values.items() if v is not None},
    )


def read_manifest(path: Path) -> dict[str, Metadata]:
    """CSV with columns file,number,date,title; keyed by file or folder name."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(_("manifest {path} unreadable ({exc})").format(path=path, exc=exc)) from None
    if rows and "file" not in rows[0]:
        raise InputError(_("manifest {path} has no 'file' column (columns: file,number,date,title)")
            .format(path=path))
    manifest = {}
    for line, row in enumerate(rows, start=2):
        name = (row.get("file") or "").strip()
        if not name:
            continue
        number_text = (row.get("number") or "").strip()
        date_text = (row.get("date") or "").strip()
        title = unicodedata.normalize("NFC", (row.get("title") or "").strip()) or None
        if number_text and not number_text.isdigit():
            raise InputError(_("manifest {path} line {line}: number {number_text!r} is not a number")
                .format(path=path, line=line, number_text=number_text))
        if date_text and not valid_date(date_text):
            raise InputError(_("manifest {path} line {line}: date {date_text!r} is not a date (YYYY, YYYY-MM "
                               "or YYYY-MM-DD)").format(path=path, line=line, date_text=date_text))
        manifest[Path(name).name] = _with_provenance(
            int(number_text) if number_text else None, date_text or None, title, "manifest"
        )
    return manifest


def resolve(source_name: str, first_page_text: str, manifest: dict[str, Metadata]) -> Metadata:
    """Manifest first, then the masthead, then the name."""
    chosen = manifest.get(source_name, Metadata())
    return chosen.merged(from_masthead(first_page_text)).merged(from_name(source_name))

