"""Analysis of a page: canonical syllables and underthesea word segmentation.

Done once per page and stored in the archive (``pages/NNNN.analysis.json``) so a
reindex never re-runs word segmentation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from underthesea import word_tokenize

from index.text import SYLLABLE, canonical, syllables

ANALYZER_VERSION = 1
RESYNC_WINDOW = 8  # tokens looked ahead when segmentation and syllables disagree


@dataclass(frozen=True)
class PageAnalysis:
    tokens: list[str]  # canonical syllables, in order
    words: list[tuple[int, int]]  # multi-syllable words: (first token, syllable count)
    version: int = ANALYZER_VERSION

    @property
    def exact_text(self) -> str:
        """The ``exact`` field: canonical syllables separated by spaces (one position each)."""
        return " ".join(self.tokens)

    @property
    def words_text(self) -> str:
        """The ``words`` field: every word, compounds joined by "_" ("sinh_hoạt chi_bộ là")."""
        out: list[str] = []
        starts = {start: length for start, length in self.words}
        i = 0
        while i < len(self.tokens):
            length = starts.get(i, 1)
            out.append("_".join(self.tokens[i : i + length]))
            i += length
        return " ".join(out)

    def to_json(self) -> str:
        return json.dumps(
            {"analyzer_version": self.version, "tokens": self.tokens, "words": self.words},
            ensure_ascii=False, separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, data: str) -> PageAnalysis:
        raw = json.loads(data)
        return cls(
            tokens=raw["tokens"], words=[(int(a), int(b)) for a, b in raw["words"]],
            version=raw.get("analyzer_version", 0),
        )


def analyze(text: str) -> PageAnalysis:
    tokens = [tok for tok, _, _ in syllables(text)]
    return PageAnalysis(tokens=tokens, words=_segment(text, tokens))


def _segment(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    """Align underthesea's words to our syllable tokens; words it cannot align are skipped."""
    words: list[tuple[int, int]] = []
    pointer = 0
    for word in word_tokenize(text):
        parts = [canonical(m.group()) for m in SYLLABLE.finditer(word)]
        if not parts:
            continue
        found = _find(tokens, parts, pointer)
        if found is None:
            continue
        if len(parts) > 1 and " " in word.strip():
            words.append((found, len(parts)))
        pointer = found + len(parts)
    return words


def _find(tokens: list[str], parts: list[str], pointer: int) -> int | None:
    for start in range(pointer, min(pointer + RESYNC_WINDOW, len(tokens))):
        if tokens[start : start + len(parts)] == parts:
            return start
    return None
