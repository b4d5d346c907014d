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

from index.text import SYLLABLE, canonical

MAX_QUERY_CHARS = 500
MAX_ITEMS = 32


class QueryError(ValueError):
    """A query that cannot be run; the message says why, in one line."""


@dataclass(frozen=True)
class Phrase:
    """Syllables that must stand adjacent and in order (one syllable: a plain word)."""

    syllables: tuple[str, ...]
    quoted: bool = False


@dataclass(frozen=True)
class Requirement:
    """One of these phrases must match (more than one: an OR)."""

    options: tuple[Phrase, ...]


@dataclass
class ParsedQuery:
    text: str
    required: list[Requirement] = field(default_factory=list)
    excluded: list[Phrase] = field(default_factory=list)
    year: int | None = None

    @property
    def plain_run(self) -> tuple[str, ...]:
        """All required syllables in query order: the phrase that ranks first when it stands
        adjacent in a page."""
        return tuple(s for r in self.required if len(r.options) == 1 for s in r.options[0].syllables)

    @property
    def all_syllables(self) -> list[str]:
        return [s for r in self.required for p in r.options for s in p.syllables]


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def parse(text: str) -> ParsedQuery:
    text = text.strip()
    if not text:
        raise QueryError("empty query: type a few words, e.g. sinh hoat chi bo")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters, at most {MAX_QUERY_CHARS})")
    if text.count('"') % 2:
        raise QueryError('unbalanced quote: close the "phrase" with a second "')
    query = ParsedQuery(text=text)
    pending_or = False
    for match in _TOKEN.finditer(text):
        negated, quoted, bare = match.group(1) == "-", match.group(2), match.group(3)
        if bare == "OR":
            if not query.required or pending_or:
                raise QueryError("OR needs a word on each side")
            pending_or = True
            continue
        if bare is not None and bare.lower().startswith("year:"):
            query.year = _year(bare)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = True, bare[1:]
        raw = quoted if quoted is not None else bare or ""
        phrase = Phrase(tuple(canonical(m.group()) for m in SYLLABLE.finditer(raw)), quoted is not None)
        if not phrase.syllables:
            if pending_or:
                raise QueryError("OR needs a word on each side")
            continue  # punctuation alone
        if negated:
            query.excluded.append(phrase)
        elif pending_or:
            previous = query.required.pop()
            query.required.append(Requirement((*previous.options, phrase)))
        elif quoted is None and len(phrase.syllables) > 1:
            # "15/6" or "hồ-sơ": separate syllables, each required
            query.required += [Requirement((Phrase((s,)),)) for s in phrase.syllables]
        else:
            query.required.append(Requirement((phrase,)))
        pending_or = False
    if pending_or:
        raise QueryError("OR needs a word on each side")
    if not query.required:
        raise QueryError("the query has no word to look for (only exclusions or filters)")
    if len(query.required) + len(query.excluded) > MAX_ITEMS:
        raise QueryError(f"too many words (at most {MAX_ITEMS})")
    return query


def _year(token: str) -> int:
    value = token.split(":", 1)[1]
    if not re.fullmatch(r"(19|20)\d{2}", value):
        raise QueryError(f"year:{value} is not a year (e.g. year:2019)")
    return int(value)
