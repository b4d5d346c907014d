"""Trusted text: words the archive holds as printed, not as OCR guessed them (born-digital
pages, lines a person corrected). Counted as syllables and neighbouring pairs, they teach
the diacritic correction and the spelling suggestion the bulletin's own words: on an
archive whose born-digital covers print "CHI BỘ", "chi bo" is "chi bộ", not "chỉ bộ".

The counts are derived data, rebuilt from the archive; this module only counts and
stores them. Syllables are canonical (``exact`` forms); a pair is two syllables that
stand next to each other with nothing but a space between them."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from vntext.syllables import syllables

TRUSTED_VERSION = 1


@dataclass(frozen=True)
class TrustedCounts:
    unigrams: Counter[str] = field(default_factory=Counter)
    bigrams: Counter[tuple[str, str]] = field(default_factory=Counter)
    texts: int = 0  # pages and lines counted

    @classmethod
    def of_texts(cls, texts: Iterable[str]) -> TrustedCounts:
        unigrams: Counter[str] = Counter()
        bigrams: Counter[tuple[str, str]] = Counter()
        count = 0
        for text in texts:
            count += 1
            found = syllables(text)
            unigrams.update(s for s, _, _ in found)
            bigrams.update((a, b) for (a, _, end), (b, start, _) in zip(found, found[1:], strict=False)
                           if text[end:start].strip() == "")
        return cls(unigrams, bigrams, count)

    def added(self, texts: Iterable[str]) -> TrustedCounts:
        more = TrustedCounts.of_texts(texts)
        return TrustedCounts(self.unigrams + more.unigrams, self.bigrams + more.bigrams,
                             self.texts + more.texts)

    def removed(self, texts: Iterable[str]) -> TrustedCounts:
        less = TrustedCounts.of_texts(texts)
        return TrustedCounts(self.unigrams - less.unigrams, self.bigrams - less.bigrams,
                             max(0, self.texts - less.texts))

    def together(self, words: tuple[str, ...]) -> int:
        """How often the words stand in this order (a pair's count; the rarer pair of three)."""
        if len(words) == 1:
            return self.unigrams.get(words[0], 0)
        return min(self.bigrams.get(pair, 0) for pair in zip(words, words[1:], strict=False))

    def to_json(self) -> str:
        return json.dumps({"version": TRUSTED_VERSION, "texts": self.texts, "unigrams": dict(self.unigrams),
                           "bigrams": {f"{a} {b}": n for (a, b), n in self.bigrams.items()}},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> TrustedCounts:
        """The stored counts (empty when they come from another version of the counting)."""
        values = json.loads(data)
        if values.get("version") != TRUSTED_VERSION:
            return cls()
        bigrams = Counter({tuple(k.split(" ", 1)): int(n) for k, n in values["bigrams"].items()})
        return cls(Counter(values["unigrams"]), bigrams, int(values["texts"]))
