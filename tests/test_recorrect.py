"""bantin recorrect: the diacritic correction run again over a stored archive with
today's statistics, without OCR. The archive is made as an older bantin left it (a word
read "Chỉ" where the page prints "Chi", OCR unsure between the two), and a line a person
corrected says "chỉ" on purpose; a born-digital issue then brings new statistics (its
text is trusted): the first word is corrected, the person's left alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archive import Archive
from archive.hocr import hocr_lines
from archive.store import page_name
from bantin.editing import correct_lines
from bantin.samples import SampleIssue, save_text_pdf
from index import open_index, search
from tests.archives import ingest_into
from tests.test_line_correction import scanned_archive

BANTIN = str(Path(sys.executable).parent / "bantin")


def as_an_older_bantin_read_it(archive: Path) -> str:
    """The page's first word read "Chỉ" (hOCR, text and reading), OCR unsure of the mark."""
    store = Archive.open(archive)
    record = store.issues()[0]
    hocr = store.page_file(record.id, 1, ".hocr").read_text("utf-8")
    first = hocr_lines(hocr)[0].words[0]
    assert first.text == "Chi", first
    reading = json.loads(store.page_file(record.id, 1, ".reading.json").read_text("utf-8"))
    [word] = [w for w in reading["words"] if w["b"] == [first.x0, first.y0, first.x1, first.y1]]
    word["t"], word["a"] = "Chỉ", {"2": [["ỉ", 55.0], ["i", 44.0]]}
    text = store.page_text(record.id, 1)
    with store.writer_lock("test"):
        store.replace_files(record.id, {
            page_name(1, ".hocr"): hocr.replace(">Chi</span>", ">Chỉ</span>", 1).encode(),
            page_name(1, ".txt"): text.replace("Chi bộ", "Chỉ bộ", 1).encode(),
            page_name(1, ".reading.json"): json.dumps(reading, ensure_ascii=False).encode()})
    return record.id


def test_recorrect_changes_what_the_statistics_now_read_otherwise(tmp_path: Path) -> None:
    archive = scanned_archive(tmp_path)
    issue = as_an_older_bantin_read_it(archive)
    store = Archive.open(archive)
    hocr = store.page_file(issue, 1, ".hocr").read_text("utf-8")
    person = next(line for line in hocr_lines(hocr) if "vệ sinh" in line.text)
    correct_lines(archive, issue, 1, {person.index: "gìn vệ sinh môi trường, chỉ đạo chung."})
    raw = store.page_file(issue, 1, ".raw.txt").read_bytes()
    reading = store.page_file(issue, 1, ".reading.json").read_bytes()
    before = store.page_file(issue, 1, ".hocr").read_text("utf-8")
    dry = [BANTIN, "recorrect", "--dry-run", "--json", "--archive", str(archive)]
    # new statistics: a born-digital issue that prints the words (trusted text)
    (tmp_path / "printed").mkdir()
    save_text_pdf(SampleIssue("p", [["Sinh hoạt chi bộ thôn Bắc bàn việc làm đường."]]),
                  tmp_path / "printed" / "so-2.pdf")
    ingest_into(archive, [tmp_path / "printed"])
    changes = json.loads(subprocess.run(dry, capture_output=True, text=True, check=True).stdout)
    assert changes == [{"page": 1, "before": "Chỉ", "after": "Chi", "raw": "Chỉ"}]
    assert store.page_file(issue, 1, ".hocr").read_text("utf-8") == before  # nothing written
    done = subprocess.run([BANTIN, "recorrect", "--issue", issue[:8], "--archive", str(archive)],
                          capture_output=True, text=True, check=True)
    assert "page 1: Chỉ -> Chi" in done.stdout and "1 word changed on 1 pages" in done.stdout
    text = store.page_text(issue, 1)
    assert text.startswith("Chi bộ thôn Bắc") and "trường, chỉ đạo chung" in text  # the person's "chỉ" stays
    hocr = store.page_file(issue, 1, ".hocr").read_text("utf-8")
    assert "x_raw Chỉ" in hocr
    assert store.page_file(issue, 1, ".raw.txt").read_bytes() == raw  # the raw reading is kept
    assert store.page_file(issue, 1, ".reading.json").read_bytes() == reading
    assert store.load_issue(issue).pages[0].corrected >= 1
    pdf = store.issue_dir(issue) / "issue.pdf"
    layer = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert "Chi bộ thôn" in layer
    assert subprocess.run([BANTIN, "verify", "--archive", str(archive)], capture_output=True).returncode == 0
    [hit] = search(open_index(archive), '"chi bo thon bac"', issue=issue).hits
    assert "Chi bộ thôn Bắc" in hit.snippet  # the index follows
    again = subprocess.run([BANTIN, "recorrect", "--archive", str(archive)], capture_output=True, text=True,
                           check=True)
    assert "0 words changed" in again.stdout
