"""Messages in the archivist's language: gettext catalogs made with Babel.

The source language is English; ``bantin/locale/<lang>/LC_MESSAGES/bantin.po`` holds
a language's translations (Vietnamese: one plural form, so "1 trang", never "1 pages").
gettext reads compiled catalogs only, so each ``.po`` is compiled on first use into the
user's cache folder (again whenever the ``.po`` changes). ``setup`` binds the domain
for the process: bantin's messages and click's own ("Usage:", "Show this message and
exit.") then follow the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``):
Vietnamese with ``LANG=vi_VN.UTF-8``, English otherwise. ``scripts/i18n.sh`` extracts
the messages and updates the catalogs.
"""

from __future__ import annotations

import contextlib
import gettext
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "bantin"
CATALOGS = Path(__file__).parent / "locale"


def compiled() -> Path:
    """A folder of compiled catalogs (``<lang>/LC_MESSAGES/bantin.mo``), fresh."""
    target = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bantin" / "locale"
    for po in CATALOGS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo = target / po.relative_to(CATALOGS).with_suffix(".mo")
        if mo.is_file() and mo.stat().st_mtime_ns >= po.stat().st_mtime_ns:
            continue
        with contextlib.suppress(OSError):  # an unwritable cache: messages stay English
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[-3])
            partial = mo.with_suffix(f".{os.getpid()}.tmp")
            with partial.open("wb") as out:
                write_mo(out, catalog)
            partial.replace(mo)  # atomic: another process never reads half a catalog
    return target


def setup() -> None:
    """Bind bantin's domain as the process's default, so click's messages come from it too."""
    gettext.bindtextdomain(DOMAIN, str(compiled()))
    gettext.textdomain(DOMAIN)


def _(message: str) -> str:
    return gettext.dgettext(DOMAIN, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext.dngettext(DOMAIN, singular, plural, n)


def translations(language: str) -> gettext.NullTranslations:
    """One language's catalog (for a web page), English where it has none."""
    return gettext.translation(DOMAIN, str(compiled()), [language], fallback=True)
