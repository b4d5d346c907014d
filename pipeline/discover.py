"""Discover: turn the paths an archivist names into sources, one per issue.

- a PDF file is one issue;
- a multi-page TIFF is one issue;
- a folder's single-page images (JPEG, PNG, TIFF) are one issue, pages in natural order;
- a single image named directly is a one-page issue.

Folders are walked recursively; a symlinked folder is followed once, never into a loop.
The file type is read from the first bytes, not trusted from the name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from PIL import Image

from archive.errors import _
from pipeline.errors import InputError

SCAN_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff"}


class SourceKind(StrEnum):
    pdf = "pdf"
    images = "images"  # a folder of page images, or one image file
    tiff = "tiff"  # a multi-page TIFF


class FileType(StrEnum):
    pdf = "pdf"
    jpeg = "jpeg"
    png = "png"
    tiff = "tiff"


@dataclass(frozen=True)
class Source:
    """One issue to ingest: a PDF, a multi-page TIFF, or the page images of one folder."""

    path: Path
    kind: SourceKind
    files: tuple[Path, ...]
    broken: tuple[str, ...] = ()  # "name: reason" of page files that are not images

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Rejected:
    """An input that is not ingestable, with a one-line reason."""

    path: Path
    reason: str


@dataclass
class Discovery:
    sources: list[Source] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    skipped: list[Rejected] = field(default_factory=list)  # subfolders seen, with nothing to ingest


def natural_key(path: Path) -> tuple[tuple[int, int | str], ...]:
    """trang-2 before trang-10."""
    parts = re.split(r"(\d+)", path.name.casefold())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def sniff(path: Path) -> FileType:
    """The file's type from its magic bytes; InputError if it is empty or not a scan."""
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except PermissionError:
        raise InputError(_("unreadable file (permission denied)")) from None
    except OSError as exc:
        raise InputError(_("unreadable file ({strerror})").format(strerror=exc.strerror)) from None
    if not head:
        raise InputError(_("empty file (0 bytes)"))
    if b"%PDF-" in head:
        return FileType.pdf
    if head.startswith(b"\xff\xd8\xff"):
        return FileType.jpeg
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType.png
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return FileType.tiff
    raise InputError(_("not a PDF or an image (JPEG, PNG, TIFF)"))


def tiff_frames(path: Path) -> int:
    try:
        with Image.open(path) as image:
            return int(getattr(image, "n_frames", 1))
    except Exception as exc:
        raise InputError(_("corrupt TIFF ({exc})").format(exc=exc)) from None


def discover(paths: list[Path], exclude: tuple[Path, ...] = ()) -> Discovery:
    """Sources in ``paths``; folders in ``exclude`` (the archive itself, when it lies in a
    folder being ingested) are not walked."""
    found = Discovery()
    seen: set[tuple[int, int]] = set()
    for folder in exclude:
        try:
            stat = folder.stat()
        except OSError:
            continue
        seen.add((stat.st_dev, stat.st_ino))
    for path in paths:
        if path.is_dir():
            before = len(found.sources) + len(found.rejected)
            _walk(path, found, seen)
            if len(found.sources) + len(found.rejected) == before:
                found.skipped = [s for s in found.skipped if s.path != path]
                found.rejected.append(Rejected(path, "folder has no PDFs or page images"))
        elif path.exists():
            _add_file(path, found)
        else:
            found.rejected.append(Rejected(path, "no such file or folder"))
    return found


def _classify(path: Path) -> SourceKind:
    """pdf, multi-page tiff, or ``images`` for a single page image."""
    kind = sniff(path)
    if kind is FileType.pdf:
        return SourceKind.pdf
    if kind is FileType.tiff and tiff_frames(path) > 1:
        return SourceKind.tiff
    return SourceKind.images


def _add_file(path: Path, found: Discovery) -> None:
    try:
        found.sources.append(Source(path, _classify(path), (path,)))
    except InputError as exc:
        found.rejected.append(Rejected(path, str(exc)))


def _walk(folder: Path, found: Discovery, seen: set[tuple[int, int]]) -> None:
    try:
        stat = folder.stat()
    except OSError as exc:
        found.rejected.append(Rejected(folder, f"unreadable folder ({exc.strerror})"))
        return
    if (stat.st_dev, stat.st_ino) in seen:
        return  # a link back into a folder already walked
    seen.add((stat.st_dev, stat.st_ino))
    try:
        entries = sorted(os.scandir(folder), key=lambda e: natural_key(Path(e.name)))
    except OSError as exc:
        found.rejected.append(Rejected(folder, f"unreadable folder ({exc.strerror})"))
        return
    pages: list[Path] = []
    broken: list[str] = []
    before = len(found.sources) + len(found.rejected)
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            _walk(path, found, seen)
            continue
        if path.suffix.lower() not in SCAN_SUFFIXES:
            continue  # notes, thumbnails and other files beside the scans
        try:
            kind = _classify(path)
        except InputError as exc:
            if path.suffix.lower() == ".pdf":
                found.rejected.append(Rejected(path, str(exc)))
            else:  # a page of this folder's issue: the issue fails, naming it
                pages.append(path)
                broken.append(f"{path.name}: {exc}")
            continue
        if kind is SourceKind.images:
            pages.append(path)
        else:
            found.sources.append(Source(path, kind, (path,)))
    if pages:
        found.sources.append(Source(folder, SourceKind.images, tuple(pages), tuple(broken)))
    elif len(found.sources) + len(found.rejected) == before:
        found.skipped.append(Rejected(folder, "no page images"))
