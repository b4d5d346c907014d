"""The CLI speaks Vietnamese when the locale is Vietnamese and English otherwise, through
gettext catalogs made with Babel, click's own words included; every message bantin
marks is translated, and Vietnamese has one plural form ("1 trang", never "1 pages")."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from bantin.i18n import CATALOGS, translations
from bantin.web import create_app
from tests.archives import text_scans

BANTIN = str(Path(sys.executable).parent / "bantin")
ROOT = Path(__file__).parent.parent


def fields(text: str) -> set[str]:
    return set(re.findall(r"\{(\w*)", text)) | set(re.findall(r"%\((\w+)\)", text))


def run(*args: str, lang: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    return subprocess.run([BANTIN, *args], capture_output=True, text=True, env={**env, "LANG": lang})


def test_every_message_bantin_marks_is_translated() -> None:
    with (CATALOGS / "vi" / "LC_MESSAGES" / "bantin.po").open("rb") as source:
        catalog = read_po(source, locale="vi")
    assert catalog.num_plurals == 1
    marked = {found[2] for package in ("bantin", "archive", "pipeline", "index")
              for found in extract_from_dir(str(ROOT / package), method_map=[("**.py", "python")],
                                            keywords={"_": None, "ngettext": (1, 2)})}
    labels = {found[2] for found in extract_from_dir(
        str(ROOT / "bantin" / "web" / "templates"), method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}})}
    assert len(marked) > 200 and len(labels) > 150
    marked |= labels
    missing = []
    for message in marked:
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        text = entry.string if entry else None
        if not entry or "fuzzy" in entry.flags or not (text[0] if isinstance(text, tuple) else text):
            missing.append(key)
    assert not missing, f"untranslated (run scripts/i18n.sh, then translate): {missing}"
    # a translation names the same fields as its message (else it fails when formatted)
    for entry in catalog:
        texts = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        for text in filter(None, texts):
            assert fields(text) == fields(ids[-1]), (entry.id, text)
    assert translations("vi").gettext("Usage:") == "Cách dùng:"  # click's own, from the same catalog


def test_the_web_pages_labels_come_from_the_same_catalogs(tmp_path: Path) -> None:
    scans = text_scans(tmp_path / "in", {"ban-tin-so-01-thang-01-2021.pdf": [["Quỹ khuyến học của thôn."]]})
    archive = tmp_path / "archive"
    assert run("ingest", str(scans), "--archive", str(archive), lang="C.UTF-8").returncode == 0
    vietnamese = TestClient(create_app(archive)).get("/").text
    assert '<html lang="vi">' in vietnamese and "Tìm trong bản tin" in vietnamese
    assert "Đăng nhập" in vietnamese
    english = TestClient(create_app(archive, language="en")).get("/").text
    assert '<html lang="en">' in english and "Search the bulletin" in english and "Sign in" in english
    assert "Tìm trong bản tin" not in english
    page = TestClient(create_app(archive, language="en")).get("/search", params={"q": "khuyen hoc"}).text
    assert "articles and pages hold every word of" in page


def test_the_cli_follows_the_locale(tmp_path: Path) -> None:
    vi = run("--help", lang="vi_VN.UTF-8")
    assert "Cách dùng:" in vi.stdout and "Nhập bản quét" in vi.stdout and "Tùy chọn:" in vi.stdout
    en = run("--help", lang="C.UTF-8")
    assert "Usage:" in en.stdout and "Ingest scans" in en.stdout
    missing = run("search", lang="vi_VN.UTF-8")
    assert missing.returncode == 2 and "Thiếu đối số" in missing.stderr
    nowhere = run("list", "--archive", str(tmp_path / "nowhere"), lang="vi_VN.UTF-8")  # the archive's error
    assert nowhere.returncode == 3 and "ở đây không có kho bantin" in nowhere.stderr
    scans = text_scans(tmp_path / "in", {"ban-tin-so-01-thang-01-2021.pdf": [["Quỹ khuyến học của thôn."]]})
    archive = str(tmp_path / "archive")
    added = run("ingest", str(scans), "--archive", archive, lang="vi_VN.UTF-8")
    assert "(1 trang)" in added.stdout and "1 đã thêm, 0 đã có, 0 lỗi" in added.stdout, added.stdout
    found = run("search", "khuyen hoc", "--archive", archive, lang="vi_VN.UTF-8")
    assert found.stdout.startswith("1 bài hoặc trang có đủ mọi từ của 'khuyen hoc'"), found.stdout
    assert "Có phải bạn muốn tìm: khuyến học" in found.stdout
    english = run("search", "khuyen hoc", "--archive", archive, lang="en_GB.UTF-8")
    assert english.stdout.startswith("1 article or page holds every word of 'khuyen hoc'")
