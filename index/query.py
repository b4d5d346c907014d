"""The query language cadres type.

- plain words: every word must match, diacritics optional (when no page holds them all,
  search relaxes to the pages holding most of them: see ``index.search``);
- ``"quoted phrase"``: the syllables adjacent, in order (never dropped by relaxation);
- ``+word``: a word relaxation never drops;
- ``a OR b``: either side (binds the two neighbouring items);
- ``-word`` / ``-"phrase"``: pages with it are left out;
- ``year:2019``: only issues of that year.

The parser yields syllables in canonical form; folding happens where fields need it.
Abbreviations ("UBND", "TW") and their full forms become alternatives of each other
(``vntext.abbreviations``), at query time, so the table grows without a reindex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.errors import BantinError, ExitCode, _
from vntext import SYLLABLE, canonical
from vntext.abbreviations import Abbreviations

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
    typed: str = ""  # a bare word as typed (abbreviations in capitals are told apart by it)
    mandatory: bool = False  # "+word": kept when the search relaxes


@dataclass(frozen=True)
class Requirement:
    """One option must match; an option is a set of phrases that must all match.
    Several options come from OR ("nạo vét OR tra cứu": two options of two words), or from
    an abbreviation and its full form ("UBND" | "ủy ban nhân dân": ``expanded``)."""

    options: tuple[tuple[Phrase, ...], ...]
    expanded: bool = False

    @property
    def mandatory(self) -> bool:
        """Quoted phrases and +words: relaxation never drops them."""
        if self.expanded:
            return any(p.mandatory for p in self.options[0])
        return any(p.quoted or p.mandatory for option in self.options for p in option)

    @property
    def label(self) -> str:
        """The requirement as the query wrote it (to say which words a page lacks)."""
        first = self.options[0]
        if self.expanded or len(self.options) == 1:
            words = [p.typed or " ".join(p.syllables) for p in first]
            return " ".join(f'"{w}"' if p.quoted else w for p, w in zip(first, words, strict=True))
        return " OR ".join(" ".join(" ".join(p.syllables) for p in option) for option in self.options)


@dataclass
class ParsedQuery:
    text: str
    required: list[Requirement] = field(default_factory=list)
    excluded: list[Phrase] = field(default_factory=list)
    year: int | None = None

    @property
    def plain_run(self) -> tuple[str, ...]:
        """The typed syllables of the requirements without OR, in query order: the phrase
        that ranks first when it stands adjacent in a page."""
        return tuple(
            s for r in self.required if len(r.options) == 1 or r.expanded
            for p in r.options[0] for s in p.syllables
        )

    @property
    def all_syllables(self) -> list[str]:
        return [s for r in self.required for o in r.options for p in o for s in p.syllables]


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_OR = "OR"


def parse(text: str, abbreviations: Abbreviations | None = None) -> ParsedQuery:
    text = text.strip()
    if not text:
        raise QueryError(_("empty query: type a few words, e.g. sinh hoat chi bo"))
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(_("query too long ({count} characters, at most {limit})")
            .format(count=len(text), limit=MAX_QUERY_CHARS))
    if text.count('"') % 2:
        raise QueryError(_('unbalanced quote: close the "phrase" with a second "'))
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
        mandatory = bare is not None and bare.startswith("+") and len(bare) > 1
        if mandatory:
            bare = bare[1:] if bare else bare
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
            units += [("bare", Phrase((canonical(m.group()),), typed=m.group(), mandatory=mandatory))
                      for m in SYLLABLE.finditer(raw)]
    query.required = _requirements(units)
    if abbreviations is not None:
        query.required = _expand(query.required, abbreviations)
    if not query.required:
        raise QueryError(_("the query has no word to look for (only punctuation, exclusions or filters)"))
    if len(query.all_syllables) + len(query.excluded) > MAX_ITEMS:
        raise QueryError(_("too many words (at most {limit})").format(limit=MAX_ITEMS))
    return query


def _requirements(units: list[tuple[str, Phrase | None]]) -> list[Requirement]:
    groups: list[list[tuple[str, list[Phrase]]]] = []  # runs of sides joined by OR
    pending_or = False
    for kind, phrase in units:
        if kind == "or":
            if not groups or pending_or or groups[-1][-1][0] == "break":
                raise QueryError(_("OR needs a word on each side"))
            pending_or = True
            continue
        if kind == "break":
            if pending_or:
                raise QueryError(_("OR needs a word on each side"))
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
        raise QueryError(_("OR needs a word on each side"))
    required: list[Requirement] = []
    for group in groups:
        sides = [tuple(phrases) for kind, phrases in group if kind != "break"]
        if len(sides) == 1:
            # no OR: each word or phrase is its own requirement
            required += [Requirement(((p,),)) for p in sides[0]]
        elif sides:
            required.append(Requirement(tuple(sides)))
    return required


def _expand(required: list[Requirement], abbreviations: Abbreviations) -> list[Requirement]:
    """Each abbreviation or full form among runs of plain words becomes one requirement:
    the words as typed (adjacent) or the other form."""
    out: list[Requirement] = []
    i = 0
    while i < len(required):
        run_end = i
        while run_end < len(required) and _plain_word(required[run_end]) is not None:
            run_end += 1
        if run_end == i:
            out.append(required[i])
            i += 1
            continue
        words = [w for w in map(_plain_word, required[i:run_end]) if w is not None]
        others: dict[tuple[int, int], list[tuple[str, ...]]] = {}
        for found in abbreviations.expansions([w.typed or w.syllables[0] for w in words]):
            others.setdefault((found.start, found.end), []).append(found.other)
        taken = i
        for (first, last), forms in others.items():  # longest first at each start
            start, end = i + first, i + last
            if start < taken:
                continue  # overlaps a longer form already taken
            out += required[taken:start]
            # the words as typed, each anywhere on the page as before; or the other form
            options = (tuple(words[first:last]), *((Phrase(form, quoted=True),) for form in forms))
            out.append(Requirement(options, expanded=True))
            taken = end
        out += required[taken:run_end]
        i = run_end
    return out


def _plain_word(requirement: Requirement) -> Phrase | None:
    if len(requirement.options) == 1 and len(requirement.options[0]) == 1:
        phrase = requirement.options[0][0]
        if not phrase.quoted and len(phrase.syllables) == 1:
            return phrase
    return None


def _year(token: str) -> int:
    value = token.split(":", 1)[1]
    if not re.fullmatch(r"(19|20)\d{2}", value):
        raise QueryError(_("year:{value} is not a year (e.g. year:2019)").format(value=value))
    return int(value)
