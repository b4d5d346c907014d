"""Shared fixtures: pages rendered from Vietnamese text written for bantin, and archives
ingested from them with real Tesseract."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from bantin.samples import SampleIssue, sample_issues

RESOURCES = Path(__file__).parent / "resources"
TEST_DPI = 150  # small pages keep OCR tests quick; still well inside Tesseract's range


@pytest.fixture(scope="session")
def samples() -> dict[str, SampleIssue]:
    return {issue.name: issue for issue in sample_issues()}


def words_of(text: str) -> list[str]:
    """Comparable words: NFC, lower-case, punctuation dropped."""
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).lower())


def word_accuracy(expected: str, actual: str) -> float:
    """Share of the expected words found in order (1 - word error rate, roughly)."""
    import difflib

    want, got = words_of(expected), words_of(actual)
    matcher = difflib.SequenceMatcher(a=want, b=got, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(1, len(want))
