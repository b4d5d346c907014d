"""The query language cadres type.

- plain words: every word must match, diacritics optional;
- ``"quoted phrase"``: the syllables adjacent, in order;
- ``a OR b``: either side (binds the two neighbouring items);
- ``-word`` / ``-"phrase"``: pages with it are left out;
- ``year:2019``: only issues of that year.

The parser yields syllables in canonical form; folding happens where fields need it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.errors import BantinError, ExitCode
from vntext import SYLLABLE, canonical

MAX_QUERY_CHARS = 500
MAX_ITEMS = 32


class QueryError(BantinError, ValueError):
    """A query that cannot be run; the message says why, in one line."""

    exit_code = ExitCode.bad_query


@dataclass(frozen=True)
class Phrase:
    """Syllables that must stand adjacent and in order (one syllable: a plain word)."""

    syllables: tuple[str, ...]
    quoted: bool = False


@dataclass(frozen=True)
class Requirement:
    """One option must match; an option is a set of phrases that must all match.
    Several options come from OR ("nạo vét OR tra cứu": two options of two words)."""

    options: tuple[tuple[Phrase, ...], ...]


@dataclass
class ParsedQuery:
    text: str
    required: list[Requirement] = field(default_factory=list)
    excluded: list[Phrase] = field(default_factory=list)
    year: int | None = None

    @property
    def plain_run(self) -> tuple[str, ...]:
        """The syllables of the requirements without OR, in query order: the phrase that
        ranks first when it stands adjacent in a page."""
        return tuple(
            s for r in self.required if len(r.options) == 1 for p in r.options[0] for s in p.syllables
        )

    @property
    def all_syllables(self) -> list[str]:
        return [s for r in self.required for o in r.options for p in o for s in p.syllables]


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_OR = "OR"


def parse(text: str) -> ParsedQuery:
    text = text.strip()
    if not text:
        raise QueryError("empty query: type a few words, e.g. sinh hoat chi bo")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters, at most {MAX_QUERY_CHARS})")
    if text.count('"') % 2:
        raise QueryError('unbalanced quote: close the "phrase" with a second "')
    query = ParsedQuery(text=text)
    # Units: a bare word (one syllable), a quoted phrase, or the OR operator; bare words
    # next to each other are one side of an OR ("nạo vét OR tra cứu").
    units: list[tuple[str, Phrase | None]] = []
    for match in _TOKEN.finditer(text):
        negated, quoted, bare = match.group(1) == "-", match.group(2), match.group(3)
        if bare == _OR:
            units.append(("or", None))
            continue
        if bare is not None and bare.lower().startswith("year:"):
            query.year = _year(bare)
            units.append(("break", None))
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = True, bare[1:]
        raw = quoted if quoted is not None else bare or ""
        syllables = tuple(canonical(m.group()) for m in SYLLABLE.finditer(raw))
        if not syllables:
            continue  # punctuation alone
        if negated:
            query.excluded.append(Phrase(syllables, quoted is not None))
            units.append(("break", None))
        elif quoted is not None:
            units.append(("quoted", Phrase(syllables, True)))
        else:  # "15/6" or "hồ-sơ" in one token: separate words
            units += [("bare", Phrase((s,))) for s in syllables]
    query.required = _requirements(units)
    if not query.required:
        raise QueryError("the query has no word to look for (only punctuation, exclusions or filters)")
    if len(query.all_syllables) + len(query.excluded) > MAX_ITEMS:
        raise QueryError(f"too many words (at most {MAX_ITEMS})")
    return query


def _requirements(units: list[tuple[str, Phrase | None]]) -> list[Requirement]:
    groups: list[list[tuple[str, list[Phrase]]]] = []  # runs of sides joined by OR
    pending_or = False
    for kind, phrase in units:
        if kind == "or":
            if not groups or pending_or or groups[-1][-1][0] == "break":
                raise QueryError("OR needs a word on each side")
            pending_or = True
            continue
        if kind == "break":
            if pending_or:
                raise QueryError("OR needs a word on each side")
            groups.append([("break", [])])
            continue
        assert phrase is not None
        last = groups[-1][-1] if groups else None
        if pending_or:
            groups[-1].append((kind, [phrase]))
        elif last is not None and kind == "bare" and last[0] == "bare":
            last[1].append(phrase)  # extend the run of bare words
        else:
            groups.append([(kind, [phrase])])
        pending_or = False
    if pending_or:
        raise QueryError("OR needs a word on each side")
    required: list[Requirement] = []
    for group in groups:
        sides = [tuple(phrases) for kind, phrases in group if kind != "break"]
        if len(sides) == 1:
            # no OR: each word or phrase is its own requirement
            required += [Requirement(((p,),)) for p in sides[0]]
        elif sides:
            required.append(Requirement(tuple(sides)))
    return required


def _year(token: str) -> int:
    value = token.split(":", 1)[1]
    if not re.fullmatch(r"(19|20)\d{2}", value):
        raise QueryError(f"year:{value} is not a year (e.g. year:2019)")
    return int(value)
