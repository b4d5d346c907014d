"""Abbreviations of Party and state texts ("UBND" for "Ủy ban nhân dân"), both ways.

The table is curated: only abbreviations that mean one thing in a Party bulletin. An
abbreviation whose folded form is also a Vietnamese syllable ("TU": tỉnh ủy, but "tu"
is tu/tư/tự/từ) is recognised only when written in capitals. An archive extends the
table with a file of ``ABBREVIATION<TAB>full form`` lines (see ``Abbreviations.extend``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from vntext.syllables import SYLLABLE, canonical, fold, looks_like_syllable

# abbreviation -> full form, as written in the bulletin
TABLE: dict[str, str] = {
    "BCH": "Ban Chấp hành",
    "BCHTW": "Ban Chấp hành Trung ương",
    "BCH TW": "Ban Chấp hành Trung ương",
    "TW": "Trung ương",
    "TƯ": "Trung ương",
    "BCT": "Bộ Chính trị",
    "BTV": "Ban Thường vụ",
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "MTTQ": "Mặt trận Tổ quốc",
    "UBMTTQ": "Ủy ban Mặt trận Tổ quốc",
    "CNXH": "chủ nghĩa xã hội",
    "XHCN": "xã hội chủ nghĩa",
    "NQ": "Nghị quyết",
    "ĐCSVN": "Đảng Cộng sản Việt Nam",
    "TU": "Tỉnh ủy",
    "HU": "Huyện ủy",
    "ĐU": "Đảng ủy",
    "UBKT": "Ủy ban Kiểm tra",
    "BTG": "Ban Tuyên giáo",
    "BDV": "Ban Dân vận",
    "BTC": "Ban Tổ chức",
    "HTX": "hợp tác xã",
    "NTM": "nông thôn mới",
    "KT-XH": "kinh tế - xã hội",
    "QP-AN": "quốc phòng - an ninh",
    "CNH-HĐH": "công nghiệp hóa, hiện đại hóa",
    "ATGT": "an toàn giao thông",
    "BHYT": "bảo hiểm y tế",
    "BHXH": "bảo hiểm xã hội",
    "CCB": "Cựu chiến binh",
    "HLHPN": "Hội Liên hiệp Phụ nữ",
    "HND": "Hội Nông dân",
    "LĐLĐ": "Liên đoàn Lao động",
    "TNCS": "Thanh niên Cộng sản",
    "QĐND": "Quân đội nhân dân",
    "CAND": "Công an nhân dân",
    "CNTT": "công nghệ thông tin",
    "KHCN": "khoa học và công nghệ",
    "GD-ĐT": "giáo dục và đào tạo",
    "PCTN": "phòng, chống tham nhũng",
    "THCS": "trung học cơ sở",
    "THPT": "trung học phổ thông",
    "ĐBQH": "đại biểu Quốc hội",
    "ĐTN": "Đoàn Thanh niên",
    "HCM": "Hồ Chí Minh",
}

def folded_key(text: str) -> tuple[str, ...]:
    """The folded canonical syllables of a text: how abbreviations and full forms are
    compared ("KT-XH" -> ("kt", "xh"), "Ủy ban" -> ("uy", "ban"))."""
    return tuple(fold(canonical(m.group())) for m in SYLLABLE.finditer(unicodedata.normalize("NFC", text)))


@dataclass(frozen=True)
class Expansion:
    """Where a query's syllables ``start``..``end`` (exclusive) are an abbreviation or a
    full form, and the other form's folded syllables."""

    start: int
    end: int
    other: tuple[str, ...]


@dataclass
class Abbreviations:
    pairs: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)  # abbr -> full form
    capitals_only: set[tuple[str, ...]] = field(default_factory=set)  # abbreviations that are syllables

    @classmethod
    def default(cls) -> Abbreviations:
        table = cls()
        for abbreviation, full in TABLE.items():
            table.add(abbreviation, full)
        return table

    def add(self, abbreviation: str, full: str) -> None:
        short, long = folded_key(abbreviation), folded_key(full)
        if not short or not long or short == long:
            return
        self.pairs[short] = long
        if len(short) == 1 and looks_like_syllable(short[0]):
            self.capitals_only.add(short)

    def extend(self, text: str) -> list[str]:
        """Add ``ABBREVIATION<TAB>full form`` lines (``#`` starts a comment); returns a
        message for each line that could not be read."""
        problems = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = [p.strip() for p in line.split("\t") if p.strip()]
            if len(parts) != 2:
                problems.append(f"line {number}: expected ABBREVIATION<TAB>full form")
                continue
            self.add(parts[0], parts[1])
        return problems

    def expansions(self, words: list[str]) -> list[Expansion]:
        """For a query's syllables as typed, in order: every abbreviation and every full
        form among them, with the other form to look for too."""
        keys = tuple(fold(canonical(w)) for w in words)
        found: list[Expansion] = []
        for short, long in self.pairs.items():
            for form, other in ((short, long), (long, short)):
                n = len(form)
                for i in range(len(keys) - n + 1):
                    if keys[i : i + n] != form:
                        continue
                    if form in self.capitals_only and not words[i].isupper():
                        continue
                    found.append(Expansion(i, i + n, other))
        return sorted(found, key=lambda e: (e.start, -e.end))
