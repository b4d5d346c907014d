"""What the index holds; versions that force a rebuild when they change.

Per article (and per page, for what of it belongs to no article), every engine stores:
- ``issue``, ``page``, ``number``, ``date``, ``date_key`` (yyyymmdd, 00 for month precision);
- ``text``: the display text (stored only; snippets are cut from it);
- ``exact``: canonical syllables (index.text), positions kept;
- ``fold``: the same syllables folded (no diacritics), positions kept;
- ``words``: underthesea words, compounds joined by "_", canonical;
- ``wfold``: the same words folded;
- ``pfold``, ``pexact``: neighbouring syllables as terms, folded ("chi_bo") and as
  written ("chi_bộ"), not stored;
- ``article`` (0 for a page's rest), ``title``, ``tfold`` (the title folded, indexed so
  title words weigh more), ``pages`` and ``parts`` (which page each part of ``text`` is on).
"""

from __future__ import annotations

SCHEMA_VERSION = 5  # 2: fold and wfold stored; 3: a document per article (title, tfold, pages, parts);
# 4: pfold; 5: pexact
ENGINES = ("tantivy", "whoosh")
DEFAULT_ENGINE = "tantivy"


def date_key(date: str | None) -> int:
    """'2019-05' -> 20190500, '2019-05-15' -> 20190515, None -> 0."""
    if not date:
        return 0
    parts = [int(p) for p in date.split("-")] + [0, 0]
    return parts[0] * 10000 + parts[1] * 100 + parts[2]


def bound_key(date: str, upper: bool) -> int:
    """Inclusive date_key bound for --from/--to ('2019', '2019-05' or '2019-05-15')."""
    parts = [int(p) for p in date.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else (12 if upper else 0)
    day = parts[2] if len(parts) > 2 else (99 if upper else 0)
    return year * 10000 + month * 100 + day
