"""Archives the tests share: born-digital issues from text written for the tests, and
the web tests' archive (one scanned issue OCR'd by real Tesseract, one born-digital
issue, and one whose text holds markup that must render as text)."""

from __future__ import annotations

from pathlib import Path

from bantin.ingesting import index_hooks
from bantin.samples import SampleIssue, render_issue, save_image_pdf, save_text_pdf
from index import IngestIndexer
from pipeline import IngestOptions, ingest
from tests.conftest import TEST_DPI

HOSTILE = "Ghi chú <script>alert('x')</script> và <img src=x onerror=alert(1)> trong văn bản."


def ingest_into(archive: Path, paths: list[Path]) -> None:
    indexer = IngestIndexer(archive)
    hooks = index_hooks(indexer)
    report = ingest(paths, archive, IngestOptions(jobs=2), hooks)
    assert report.ok, report.outcomes


def text_scans(folder: Path, issues: dict[str, list[list[str]]]) -> Path:
    """Born-digital PDFs, one per issue: {file name: pages of paragraphs}."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, pages in issues.items():
        save_text_pdf(SampleIssue(name, pages), folder / name)
    return folder


def build(root: Path, samples: dict[str, SampleIssue]) -> Path:
    scans = root / "scans"
    scans.mkdir()
    save_image_pdf(render_issue(samples["so-03-2019"], dpi=TEST_DPI), scans / "ban-tin-so-03.pdf", TEST_DPI)
    save_text_pdf(samples["so-12-2020"], scans / "so12.pdf")
    save_text_pdf(SampleIssue("x", [[HOSTILE]]), scans / "ban-tin-so-07-thang-07-2022.pdf")
    ingest_into(root / "archive", [scans])
    return root / "archive"


def api_token(archive: Path, role: str) -> dict[str, str]:
    """Headers with a new API token of a new account of ``role`` in the archive's state."""
    from bantin.accounts import Accounts
    from bantin.state import State

    accounts = Accounts.of(State.open(archive))
    name = f"{role}-{len(accounts.accounts()) + 1}"
    accounts.add(name, role, "mat-khau-dai")
    return {"Authorization": f"Bearer {accounts.new_token(name)[1]}"}
