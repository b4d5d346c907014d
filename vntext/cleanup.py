"""Clean-up of OCR or text-layer output into display text: NFC, one tone-mark style,
hyphenated line ends joined, whitespace collapsed, words glued to numbers parted.

Callers keep the raw text beside the clean text; only the clean text is indexed and shown.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import joblib

from vntext.sources import underthesea_dir

# Characters PDF extraction and OCR leave behind that carry no text: Arabic tatweel,
# zero-width spaces and joiners, soft hyphens, byte-order marks.
_INVISIBLE = dict.fromkeys(map(ord, "\u0640\u200b\u200c\u200d\u00ad\ufeff"), None)
_HYPHEN_BREAK = re.compile(r"(\w)-\n[ \t]*(\w)")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_SYLLABLE = re.compile(r"(\w+)")  # captured: split keeps the words
# a word of letters and digits together ("ngày82tháng": OCR lost the spaces around a number)
_MIXED = re.compile(r"[^\W_]*(?:\d[^\W\d_]|[^\W\d_]\d)[^\W_]*")
_RUNS = re.compile(r"\d+|[^\W\d_]+")


@lru_cache(maxsize=1)
def _rules() -> tuple[dict[str, str], dict[str, str]]:
    """underthesea's normalisation rules (characters, tokens), read from its data file
    rather than through ``import underthesea``: that import loads its whole NLP pipeline
    (about 50 MB), which page workers do not need."""
    [rules] = sorted((underthesea_dir() / "pipeline" / "text_normalize").glob("tn_rules_*.bin"))[-1:]
    data = joblib.load(rules)
    return data["character"], data["token"]


@lru_cache(maxsize=65536)
def normalize_syllable(syllable: str) -> str:
    """One tone-mark style, the one underthesea uses: hoà -> hòa, thuỷ -> thủy (its
    ``token_normalize``, step for step)."""
    if len(syllable) > 6:
        return syllable
    characters, tokens = _rules()
    token = unicodedata.normalize("NFC", syllable)
    for odd, standard in characters.items():
        token = token.replace(odd, standard)
    return tokens.get(token, token)


def clean_text(raw: str) -> str:
    """NFC, one tone-mark style, hyphenated line ends joined, whitespace collapsed."""
    text = unicodedata.normalize("NFC", raw).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = _HYPHEN_BREAK.sub(_join_hyphenated, text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    text = _MIXED.sub(_part_numbers, text)
    # split, not sub with a function: the text's every word passes here, and this is the
    # cheaper by half
    parts = _SYLLABLE.split(text)
    parts[1::2] = map(normalize_syllable, parts[1::2])
    return "".join(parts)


def _part_numbers(match: re.Match[str]) -> str:
    """A Vietnamese syllable glued to a number is two words ("ngày82tháng" is "ngày 82
    tháng"; no Vietnamese word holds a digit); codes stay whole ("H5N1", "COVID19",
    "PCRT7TTKB": their letters are no syllable)."""
    from vntext.syllables import fold, looks_like_syllable  # it imports this module

    runs = _RUNS.findall(match.group())
    out = runs[:1]
    for before, after in zip(runs, runs[1:], strict=False):
        letters = after if before.isdigit() else before
        out += [" " if len(letters) > 1 and looks_like_syllable(fold(letters.lower())) else "", after]
    return "".join(out)


def _join_hyphenated(match: re.Match[str]) -> str:
    # Only a lower-case continuation is a word broken by the line end; "Hà-\nNội" keeps
    # its hyphen as a compound name.
    head, tail = match.group(1), match.group(2)
    return f"{head}{tail}" if tail.islower() else f"{head}-{tail}"
