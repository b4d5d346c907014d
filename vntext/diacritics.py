"""Diacritic correction after OCR: tone and vowel marks put back where OCR misread them.

Tesseract reads most Vietnamese letters right but often takes one mark for another
(``bổ`` read ``bỗ``, ``thẩm`` read ``thâm``, ``KẾ`` read ``KÉ``). Such a word keeps its
base letters, so the candidates for it are the lexicon syllables with the same folded
form; and those with another letter where Tesseract offered that letter nearly as surely
as the one it read (``bộ`` read ``bệ`` with ``ộ`` the surer alternative). A
noisy-channel choice over each run of syllables picks, per word, the form that fits its
neighbours (syllable bigrams, dictionary compounds) at the least cost of
changing what OCR read: per character changed, how much less sure OCR was of the new
character than of the one it read (its alternatives, e.g. Tesseract's lstm_choice_mode);
without alternatives, a fixed cost per mark.

Safety rules, on top of the scores:
- a change must make the reading at least ``e ** MARGIN`` times likelier, and a word
  OCR was sure of (its hOCR ``x_wconf``) needs more than one it was not;
- only the marks change, and letters OCR itself offered nearly as surely in a word it
  read with confidence 50 or more; never case, digits or punctuation;
- a word changes only with evidence: what OCR read is no Vietnamese syllable at all, or
  the new form pairs with a neighbour more often than what was read, and with no
  neighbour less often;
- a capitalised word inside a sentence (a name) changes only when what OCR read is no
  syllable at all.

The statistics come from two sources shipped inside the underthesea package (Apache-2.0),
read where pip installed it, never copied into bantin:
- ``corpus/data/Viet74K.txt``: about 74,000 Vietnamese words and compounds;
- the VLSP 2013 part-of-speech test text (``pos_crf_vlsp2013_*/test_output.txt``):
  about 68,000 words of news prose, for syllable frequencies and bigrams across words.

Forms: everything here works on canonical syllables (``vntext.syllables.canonical``);
the caller's display text keeps its own spelling except for the words changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import marshal
import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vntext.sources import underthesea_dir
from vntext.syllables import canonical, fold
from vntext.trusted import TrustedCounts

# Costs, in natural-log units of probability (see DiacriticModel.correct).
CONFIDENCE_WEIGHT = 0.7  # thinking OCR misread a word costs this times its confidence's log-odds
UNSURE_COST = 1.5  # ... and this much when OCR gave no confidence
SEEN_FLOOR = 1.0  # how sure OCR is (0..100) of a character it did not offer as an alternative
MARK_COST = 5.0  # per mark changed, when OCR gave no alternatives at all
# Tesseract lists few alternatives per character (pipeline.ocr asks for the first pass's
# only), not every marking of a letter ("ĐÓI" read with "Ồ" beside it): a marking it left
# out of a letter it weighed with another of its marks counts this share of the best of them
MARK_ECHO = 0.5
# Another letter is a candidate where OCR offered it this share as surely as its best
# choice there (it read "bệ" with "ộ" surer than "ệ"); the spellings tried are capped.
LETTER_SHARE = 0.8
LETTER_CONFIDENCE = 50  # in a word OCR read at this confidence or more (0..100)
MAX_SPELLINGS = 8
NOT_A_SYLLABLE = 4.0  # keeping what no Vietnamese text holds
MARGIN = 2.5  # a change must make the reading e^2.5 (12) times likelier than what was read
COUNTING_VERSION = 6  # raise when from_sources counts differently: cached counts are rebuilt
COMPOUND_PSEUDO_COUNT = 1
# The bulletin's own words (vntext/data/party-lexicon.txt) count as seen this often: the
# news text holds "chi bộ" a few times and "chỉ" (only) thousands, so OCR's "chỉ bộ"
# stood; the bulletin prints "chi bộ" on every page.
LEXICON_COUNT = 20
MISREAD_PENALTY = 5.0  # log-probability taken off a pair that is a lexicon term misread
TRUSTED_WEIGHT = 5  # a syllable or pair the archive prints counts as seen this many times
PARTY_LEXICON = Path(__file__).parent / "data" / "party-lexicon.txt"

_WORD = re.compile(r"[^\W\d_]+")
_LETTERS = re.compile(r"^([\W\d_]*)([^\W\d_]+)([\W\d_]*)$")
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_VOWEL_MARKS = "\u0302\u0306\u031b"  # â ê ô, ă, ơ ư


Choice = tuple[tuple[str, float], ...]  # one character's alternatives: (character, 0..100)


@dataclass(frozen=True)
class OcrWord:
    """One whitespace-free token as OCR read it (NFC), punctuation included."""

    text: str
    new_paragraph: bool = False  # no context flows in from the word before
    # per character of ``text``, what else OCR saw there (Tesseract's lstm_choice_mode);
    # empty when the engine gives none
    choices: tuple[Choice, ...] = ()
    confidence: float | None = None  # OCR's confidence in the word, 0..100 (hOCR x_wconf)


@dataclass(frozen=True)
class Correction:
    index: int  # position in the words given
    raw: str
    corrected: str


@dataclass(frozen=True)
class _Slot:
    index: int
    prefix: str
    core: str  # letters only, as read
    suffix: str
    observed: str  # canonical, lower-case
    candidates: tuple[str, ...]  # canonical forms, the observed one first
    # per character of ``core`` (none when OCR gave no alternatives), what OCR offered
    # there: how sure it was of each letter (lower case), and of each base letter the
    # surest of its marked forms other than the one read (for MARK_ECHO)
    offered: tuple[tuple[dict[str, float], dict[str, float]], ...]
    misread: float  # what it costs to think OCR misread the word at all


# unigrams, bigrams, spellings, lexicon pairs, dictionary compounds' pairs
Counts = tuple[dict[str, int], dict[tuple[str, str], int], dict[str, str], dict[tuple[str, ...], int],
               frozenset[tuple[str, str]]]
# what the choice reads of the counts, worked out from them (DiacriticModel.__init__):
# forms by folded form, lexicon triples folded, terms' misreads, pairs and distinct
# syllables seen after each syllable, syllables seen before each one
Derived = tuple[dict[str, list[str]], set[tuple[str, ...]], dict[tuple[str, str], int], dict[str, int],
                dict[str, int], dict[str, frozenset[str]]]


class DiacriticModel:
    """Syllable unigrams and bigrams (dictionary compounds counted among the pairs), and
    the choice they drive."""

    def __init__(self, unigrams: Counter[str], bigrams: Counter[tuple[str, str]],
                 spelling: dict[str, str], terms: dict[tuple[str, ...], int] | None = None,
                 compounds: frozenset[tuple[str, str]] = frozenset(), derived: Derived | None = None) -> None:
        self._unigrams = unigrams
        self._bigrams = bigrams
        self._spelling = spelling  # canonical -> the display spelling the sources use
        # the lexicon's terms: each pair of neighbouring syllables with what it adds to the
        # pair's count, and each run of three
        self._terms = terms or {}
        # neighbouring syllables (lower case) inside the dictionaries' compounds ("vệ sinh",
        # "đảng bộ", "bộ đội"): where a syllable stands in one, it is part of another word
        self._compounds = compounds
        self._total = sum(unigrams.values()) + len(unigrams)
        # forms by folded form, lexicon triples, terms' misreads, and per syllable those
        # before it in a pair seen or a misread (see _step): worked out once, then cached
        self._forms, self._triples, self._misreads, left, followers, self._before = derived or self._derive()
        self._left = Counter(left)  # pairs seen starting with a syllable
        self._followers = Counter(followers)  # distinct syllables seen after it

    def _derive(self) -> Derived:
        forms: dict[str, list[str]] = {}
        for syllable in self._unigrams:
            forms.setdefault(fold(syllable), []).append(syllable)
        triples = {tuple(fold(s) for s in t) for t in self._terms if len(t) == 3}
        # A pair no source holds that differs from a lexicon term by a mark ("chỉ bộ" for
        # "chi bộ") is what OCR makes of the term, not a word of its own: the bulletin
        # prints the term on every page, and the news text says nothing of the variant.
        # Each such pair is kept with the side that differs (0 left, 1 right).
        misreads: dict[tuple[str, str], int] = {}
        for left, right in (t for t in self._terms if len(t) == 2):
            for variant in forms.get(fold(left), ()):
                if variant != left and not self._bigrams[(variant, right)]:
                    misreads[(variant, right)] = 0
            for variant in forms.get(fold(right), ()):
                if variant != right and not self._bigrams[(left, variant)]:
                    misreads[(left, variant)] = 1
        lefts: Counter[str] = Counter()
        before: dict[str, set[str]] = {}
        for (left, right), count in self._bigrams.items():
            lefts[left] += count
            before.setdefault(right, set()).add(left)
        for left, right in misreads:
            before.setdefault(right, set()).add(left)
        followers = Counter(left for left, _ in self._bigrams)
        return (forms, triples, misreads, dict(lefts), dict(followers),
                {right: frozenset(lefts_of) for right, lefts_of in before.items()})

    def derived(self) -> Derived:
        """What ``__init__`` works out of the counts (``default_model`` caches it too)."""
        return (self._forms, self._triples, self._misreads, dict(self._left), dict(self._followers),
                self._before)

    @classmethod
    def from_sources(cls, dictionaries: Iterable[Path], texts: Iterable[Path],
                     lexicons: Iterable[Path] = ()) -> DiacriticModel:
        """Read word lists (one word or compound a line), running texts (VLSP column
        format: one word a line, its syllables spaced, blank lines between sentences) and
        curated lexicons (a term a line, ``#`` comments), whose terms weigh as words seen
        ``LEXICON_COUNT`` times."""
        unigrams: Counter[str] = Counter()
        bigrams: Counter[tuple[str, str]] = Counter()
        spelling: dict[str, str] = {}
        terms: Counter[tuple[str, ...]] = Counter()
        compounds: set[tuple[str, str]] = set()

        def syllables_of(text: str) -> list[str] | None:
            parts = unicodedata.normalize("NFC", text).split()
            if not parts or not all(p.isalpha() for p in parts):
                return None
            forms = [canonical(p) for p in parts]
            for part, form in zip(parts, forms, strict=True):
                spelling.setdefault(form, part.lower())
            return forms

        for path in dictionaries:
            for line in path.read_text(encoding="utf-8").splitlines():
                forms = syllables_of(line)
                if forms is None:
                    continue
                unigrams.update(forms)
                for pair in zip(forms, forms[1:], strict=False):
                    bigrams[pair] += COMPOUND_PSEUDO_COUNT
                lower = [form.lower() for form in forms]
                compounds.update(zip(lower, lower[1:], strict=False))
        for path in lexicons:
            for line in path.read_text(encoding="utf-8").splitlines():
                forms = None if line.startswith("#") else syllables_of(line)
                if forms is None:
                    continue
                pairs = list(zip(forms, forms[1:], strict=False))
                # a longer term made of terms ("chi ủy viên") is known as a run of three,
                # and adds nothing to its syllables and pairs
                if len(pairs) < 2 or not all(pair in terms for pair in pairs):
                    unigrams.update(forms)  # the pairs carry the context; "chi" alone is no likelier
                    for pair in pairs:
                        bigrams[pair] += LEXICON_COUNT
                        terms[pair] += LEXICON_COUNT
                terms.update(dict.fromkeys(zip(forms, forms[1:], forms[2:], strict=False), 0))
        for path in texts:
            previous: str | None = None
            for line in path.read_text(encoding="utf-8").splitlines():
                forms = syllables_of(line.split("\t", 1)[0]) if line.strip() else None
                if forms is None:  # punctuation, numbers and sentence ends break the run
                    previous = None
                    continue
                unigrams.update(forms)
                chain = ([previous] if previous else []) + forms
                bigrams.update(zip(chain, chain[1:], strict=False))
                previous = forms[-1]
        return cls(unigrams, bigrams, spelling, dict(terms), frozenset(compounds))

    def with_trusted(self, trusted: TrustedCounts) -> DiacriticModel:
        """This model with the archive's trusted text counted in, as running text is
        (``TRUSTED_WEIGHT`` times: the bulletin's own words outweigh the news)."""
        if not trusted.texts:
            return self
        unigrams = self._unigrams + Counter({k: n * TRUSTED_WEIGHT for k, n in trusted.unigrams.items()})
        bigrams = self._bigrams + Counter({k: n * TRUSTED_WEIGHT for k, n in trusted.bigrams.items()})
        return DiacriticModel(unigrams, bigrams, self._spelling, self._terms, self._compounds)

    def counts(self) -> Counts:
        """What the model is built from, as plain values (what ``default_model`` caches)."""
        return (dict(self._unigrams), dict(self._bigrams), dict(self._spelling), dict(self._terms),
                self._compounds)

    @property
    def compounds(self) -> frozenset[tuple[str, str]]:
        return self._compounds

    def is_syllable(self, form: str) -> bool:
        return form in self._unigrams

    def known_share(self, text: str) -> tuple[float, int]:
        """The share of a text's words (letters only) that are Vietnamese syllables, and
        how many words there were: OCR of a page upside down reads about 40% syllables
        (garbage makes short ones: "a", "o", "i"), an upright page 90% or more."""
        words = _WORD.findall(text)
        known = sum(self.is_syllable(canonical(word)) for word in words)
        return known / max(len(words), 1), len(words)

    def fluency(self, text: str) -> tuple[float, float]:
        """How likely a text's syllables are, as marked and as best marked (log-probability
        per syllable, letters alone kept). A reading whose marks are wrong ("ĐAY CUNG RẤT
        KHO LA") lies far below its best marking ("đây cũng rất khó là"); a right one
        seldom lies more than one below it."""
        syllables = [canonical(w).lower() for w in _WORD.findall(text)]
        if not syllables:
            return 0.0, 0.0
        read = self._log_unigram(syllables[0]) + sum(
            self._log_bigram(a, b) for a, b in zip(syllables, syllables[1:], strict=False))
        best = {f: self._log_unigram(f) for f in self._forms.get(fold(syllables[0]), [syllables[0]])}
        for syllable in syllables[1:]:
            best = {f: max(score + self._log_bigram(prev, f) for prev, score in best.items())
                    for f in self._forms.get(fold(syllable), [syllable])}
        return read / len(syllables), max(read, *best.values()) / len(syllables)

    def correct(self, words: Sequence[OcrWord]) -> list[Correction]:
        """The words of one page (in reading order) whose marks should change."""
        corrections: list[Correction] = []
        for run in self._runs(words):
            corrections.extend(self._correct_run(run, words))
        return corrections

    def _runs(self, words: Sequence[OcrWord]) -> list[list[_Slot]]:
        """Runs of neighbouring syllables: punctuation, digits and paragraph ends cut them
        (but a paragraph whose first word is in lower case goes on with the sentence before
        it: OCR split the text there, "nghị quyết của chỉ" / "bộ. Những năm ...")."""
        runs: list[list[_Slot]] = [[]]
        for i, word in enumerate(words):
            match = _LETTERS.match(word.text)
            if (word.new_paragraph and not word.text[:1].islower()) or match is None or match.group(1):
                runs.append([])
            if match is None:
                continue
            prefix, core, suffix = match.groups()
            observed = canonical(core)
            choices = word.choices[len(prefix):len(prefix) + len(core)] if word.choices else ()
            offered = _offered(core, choices)
            candidates = [observed] + [f for letters in _spellings(observed, offered, word.confidence)
                                       for f in self._forms.get(letters, []) if f != observed]
            runs[-1].append(_Slot(i, prefix, core, suffix, observed, tuple(candidates),
                                  offered, _misread_cost(word.confidence)))
            if suffix:
                runs.append([])
        return [run for run in runs if run]

    def _correct_run(self, run: list[_Slot], words: Sequence[OcrWord]) -> list[Correction]:
        # Viterbi over the run: emission = cost of the change, transition = bigram log-prob
        best: list[dict[str, tuple[float, str | None]]] = []
        for k, slot in enumerate(run):
            emits = {form: -self._change_cost(slot, form) for form in slot.candidates}
            if k == 0:
                best.append({form: (emit + self._log_unigram(form), None) for form, emit in emits.items()})
            else:
                best.append(self._step(run, k, best[-1], emits))
        form = max(best[-1], key=lambda f: best[-1][f][0])
        path = [form]
        for column in reversed(best[1:]):
            back = column[path[-1]][1]
            assert back is not None
            path.append(back)
        path.reverse()
        corrections = []
        for k, (slot, form) in enumerate(zip(run, path, strict=True)):
            if form == slot.observed or not self._evidence(run, path, k):
                continue
            if self._gain(run, path, k) < MARGIN:
                continue
            new = self._restore_case(slot.core, self._spelling.get(form, form))
            raw = words[slot.index].text
            corrections.append(Correction(slot.index, raw, slot.prefix + new + slot.suffix))
        return corrections

    def _step(self, run: list[_Slot], k: int, previous: dict[str, tuple[float, str | None]],
              emits: dict[str, float]) -> dict[str, tuple[float, str | None]]:
        """One Viterbi column: each form's best score and the form before it. Most pairs
        of candidates no source holds, and such a pair's log-probability is a part of its
        left form plus a part of its right one (``_log_bigram`` with no count): the best
        left form for them is found once per column; the pairs a source holds, and lexicon
        terms' misreads, are weighed one by one."""
        lefts = sorted(((score + self._log_unseen_after(prev), prev)
                        for prev, (score, _) in previous.items()), reverse=True)
        column: dict[str, tuple[float, str | None]] = {}
        for form, emit in emits.items():
            before = self._before.get(form, frozenset())
            seen = [prev for prev in previous if prev in before]
            unseen = self._log_unigram(form)
            value, back = next(((score + unseen, prev) for score, prev in lefts if prev not in seen),
                               (-math.inf, None))
            for prev in seen:
                score = previous[prev][0] + self._transition(run, k, prev, form)
                if score > value:
                    value, back = score, prev
            column[form] = (value + emit, back)
        return column

    def _change_cost(self, slot: _Slot, form: str) -> float:
        """What it costs to believe the page shows ``form`` where OCR read ``slot.core``:
        per character changed, how much less sure OCR was of it than of what it read."""
        if form == slot.observed:
            return 0.0 if self.is_syllable(form) else NOT_A_SYLLABLE
        cost = slot.misread
        if not slot.offered:
            return cost + MARK_COST * _marks_changed(slot.observed, form)
        shown = self._spelling.get(form, form)  # lower case, as the letters offered
        if len(shown) != len(slot.core):
            return math.inf
        for read, new, (seen, echo) in zip(slot.core.lower(), shown, slot.offered, strict=True):
            if read != new:
                # a letter OCR weighed with other marks may bear this one too
                now = seen.get(new) or MARK_ECHO * echo.get(fold(new), 0.0)
                cost += math.log(max(seen.get(read, 1.0), 1.0) / max(now, SEEN_FLOOR))
        return cost

    def _gain(self, run: list[_Slot], path: list[str], k: int) -> float:
        """How much likelier the path is with word ``k`` changed than with it as read."""

        def local(form: str) -> float:
            score = -self._change_cost(run[k], form)
            score += self._transition(run, k, path[k - 1], form) if k > 0 else self._log_unigram(form)
            if k + 1 < len(run):
                score += self._transition(run, k + 1, form, path[k + 1])
            return score

        return local(path[k]) - local(run[k].observed)

    def _evidence(self, run: list[_Slot], path: list[str], k: int) -> bool:
        """What OCR read is no syllable; or, for a lower-case word, the new form pairs
        better with a neighbour and worse with none (counts in the sources)."""
        slot, form = run[k], path[k]
        if slot.core[:1].isupper() and not slot.core.isupper() and k > 0:
            return False  # a name (Đà Nẵng, Lênin): left as read, known or not
        if not self.is_syllable(slot.observed):
            return True
        if self._completes_term(run, path, k):
            return True
        gains = []
        if k > 0:
            gains.append(self._bigrams[(path[k - 1], form)] - self._bigrams[(path[k - 1], slot.observed)])
        if k + 1 < len(run):
            gains.append(self._bigrams[(form, path[k + 1])] - self._bigrams[(slot.observed, path[k + 1])])
        return any(g > 0 for g in gains) and all(g >= 0 for g in gains)

    def _completes_term(self, run: list[_Slot], path: list[str], k: int) -> bool:
        """The new form makes a lexicon term with a neighbour where what was read made a
        misread of it."""
        pairs = []
        if k > 0:
            pairs.append(((path[k - 1], path[k]), (path[k - 1], run[k].observed)))
        if k + 1 < len(run):
            pairs.append(((path[k], path[k + 1]), (run[k].observed, path[k + 1])))
        return any(new in self._terms and old in self._misreads for new, old in pairs)

    def _other_word(self, pair: tuple[str, str], three: tuple[str, str, str], used: bool) -> bool:
        """The pair is a dictionary compound (``used``: one that running text uses too, the
        dictionary's own entry counting once), and the three syllables holding it no lexicon
        term, whatever their marks ("chỉ bộ đội": "bộ đội"; but "chỉ ủy viên" is "chi ủy
        viên", a term)."""
        return (pair in self._compounds and (not used or self._bigrams[pair] > 1)
                and tuple(fold(s) for s in three) not in self._triples)

    def _log_unigram(self, form: str) -> float:
        return math.log((self._unigrams[form] + 0.1) / self._total)

    def _log_unseen_after(self, left: str) -> float:
        """``_log_bigram(left, right)`` less ``_log_unigram(right)`` for a pair never seen."""
        seen = self._followers[left] + 1
        return math.log(seen / (self._left[left] + seen))

    def _log_bigram(self, left: str, right: str, less: int = 0) -> float:
        """Witten-Bell: a syllable seen before many different ones leaves much of its
        probability to pairs never seen (sparse sources must not forbid a pair)."""
        unigram = (self._unigrams[right] + 0.1) / self._total
        seen = self._followers[left] + 1
        count = self._bigrams[(left, right)] - less
        return math.log((count + seen * unigram) / (self._left[left] - less + seen))

    def _transition(self, run: list[_Slot], k: int, left: str, right: str) -> float:
        """From ``left`` (at k - 1) to ``right`` (at k). A lexicon term ("chi bộ") is
        likely, and its misread ("chỉ bộ") far less so, unless one of its syllables belongs
        to another word with its other neighbour ("chỉ bộ đội": "bộ đội"); there the pair
        is weighed as the other sources alone count it."""
        term = self._terms.get((left, right), 0)
        side = self._misreads.get((left, right))
        if not term and side is None:
            return self._log_bigram(left, right)

        def bound(on_right: bool, used: bool) -> bool:
            # with the neighbour as read (any marking of it would find a compound nearly
            # everywhere: "Chỉ bộ Hòa Mỹ" is no "bộ hỏa")
            if on_right:
                if k + 1 >= len(run):
                    return False
                after = run[k + 1].observed
                return self._other_word((right, after), (left, right, after), used)
            if k < 2:
                return False
            before = run[k - 2].observed
            return self._other_word((before, left), (before, left, right), used)

        if term:
            return self._log_bigram(left, right, term if bound(False, False) or bound(True, False) else 0)
        # the term's own syllable bound elsewhere, in a compound running text uses: "bộ chọn"
        # (a selector) stands in the dictionary alone, and "chỉ bộ chọn" is "chi bộ chọn"
        return self._log_bigram(left, right) - (0 if bound(side == 0, True) else MISREAD_PENALTY)

    @staticmethod
    def _restore_case(read: str, form: str) -> str:
        if read.isupper() and len(read) > 1:
            return form.upper()
        if read[:1].isupper():
            return form[:1].upper() + form[1:]
        return form


def _offered(core: str, choices: tuple[Choice, ...]) -> tuple[tuple[dict[str, float], dict[str, float]], ...]:
    """Per character of ``core``, what OCR offered there (see ``_Slot.offered``); none
    when its choices do not match the letters one for one."""
    if len(choices) != len(core):
        return ()
    offered = []
    for read, choice in zip(core.lower(), choices, strict=True):
        seen: dict[str, float] = {}
        for character, sure in choice:  # "ồ" and "Ồ" are one choice here
            seen[character.lower()] = max(sure, seen.get(character.lower(), 0.0))
        echo: dict[str, float] = {}
        for character, sure in seen.items():
            if character != read:
                echo[fold(character)] = max(sure, echo.get(fold(character), 0.0))
        offered.append((seen, echo))
    return tuple(offered)


def _spellings(observed: str, offered: tuple[tuple[dict[str, float], dict[str, float]], ...],
               confidence: float | None) -> list[str]:
    """The folded letters of what was read, then those of the other spellings OCR offered
    nearly as surely as what it read ("bệ" read with "ộ" at 83.6 beside "ệ" at 83.4: "bô"),
    at most a few; none for a word OCR hardly read as one (its letters are noise)."""
    folded = fold(observed)
    if len(offered) != len(folded) or confidence is None or confidence < LETTER_CONFIDENCE:
        return [folded]
    options = []
    for letter, (seen, _) in zip(folded, offered, strict=True):
        best = max(seen.values(), default=0.0)
        options.append({letter} | {fold(c) for c, sure in seen.items() if sure >= LETTER_SHARE * best})
    spellings = [folded]
    for letters in itertools.islice(itertools.product(*options), MAX_SPELLINGS):
        spelling = "".join(letters)
        if spelling != folded:
            spellings.append(spelling)
    return spellings


def _misread_cost(confidence: float | None) -> float:
    """What it costs to think OCR misread a word at all. Tesseract's word confidence tells:
    on real and synthetic scans, words it read at 90 or more held a wrong mark about once
    in 1,200 (and the correction's false changes were all such words), words under 90 one
    time in eight. 0.7 of the log-odds: 96 costs 2.2, 80 costs 1.0, 50 or less nothing."""
    if confidence is None:
        return UNSURE_COST
    sure = min(max(confidence / 100, 0.01), 0.99)
    return max(CONFIDENCE_WEIGHT * math.log(sure / (1 - sure)), 0.0)


def _marks_changed(a: str, b: str) -> int:
    """How many marks differ between two syllables with the same base letters."""
    da, db = unicodedata.normalize("NFD", a), unicodedata.normalize("NFD", b)
    tone_a = [c for c in da if c in _TONES]
    tone_b = [c for c in db if c in _TONES]
    marks_a = [c for c in da if c in _VOWEL_MARKS]
    marks_b = [c for c in db if c in _VOWEL_MARKS]
    ca, cb = Counter(marks_a), Counter(marks_b)
    changed = int(tone_a != tone_b) + (ca - cb).total() + (cb - ca).total()
    return changed + int(("đ" in a) != ("đ" in b))


@cache
def default_model() -> DiacriticModel:
    """The model from the sources underthesea ships. Building it takes about a second;
    every worker process needs it, so the counts are kept in the user's cache folder
    (``$XDG_CACHE_HOME/bantin``), keyed by the sources' sizes and times and by this
    module's version of the counting. A cache that cannot be read or written is rebuilt
    or skipped, never an error."""
    root = underthesea_dir()
    dictionaries = [root / "corpus" / "data" / "Viet74K.txt"]
    texts = sorted(root.glob("pipeline/pos_tag/models/pos_crf_vlsp2013_*/test_output.txt"))
    lexicons = [PARTY_LEXICON]
    key = hashlib.sha256(repr([COUNTING_VERSION, COMPOUND_PSEUDO_COUNT, LEXICON_COUNT] + [
        (str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in dictionaries + texts + lexicons
    ]).encode()).hexdigest()[:16]
    cached = _cache_dir() / f"diacritics-{key}.marshal"
    try:
        (unigrams, bigrams, spelling, terms, compounds), derived = marshal.loads(cached.read_bytes())
        return DiacriticModel(Counter(unigrams), Counter(bigrams), spelling, terms, compounds, derived)
    except (OSError, ValueError, EOFError, TypeError):
        pass
    model = DiacriticModel.from_sources(dictionaries, texts, lexicons)
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps((model.counts(), model.derived())))
        partial.replace(cached)  # atomic: a worker never reads half a file
    return model


def archive_model(trusted: Path | None) -> DiacriticModel:
    """The default model with an archive's trusted text counted in (``vntext.trusted``;
    the file ``trusted``, as the index stores it); the default model when there is none
    or it cannot be read."""
    try:
        stamp = trusted.stat().st_mtime_ns if trusted is not None else None
    except OSError:
        stamp = None
    return _with_trusted(str(trusted), stamp) if stamp is not None else default_model()


@cache
def _with_trusted(path: str, stamp: int) -> DiacriticModel:
    try:
        counts = TrustedCounts.from_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return default_model()
    return default_model().with_trusted(counts)


def compound_pairs() -> frozenset[tuple[str, str]]:
    """Neighbouring syllables (canonical, lower case) inside the compounds of underthesea's
    dictionary ("vệ sinh", "đảng bộ", "chỉ đạo"): where a syllable stands in one of them on
    a page, it is part of another word than the one-syllable word a query asked for."""
    return default_model().compounds


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bantin"
