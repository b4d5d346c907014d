"""Errors that carry their exit code, as OCRmyPDF's exception classes do.

This module is the lowest of bantin's own (``archive`` imports nothing else of ours), so
every layer derives its errors from ``BantinError`` and the CLI maps any of them to its
code without knowing the layer it came from.
"""

from __future__ import annotations

import gettext
from enum import IntEnum

DOMAIN = "bantin"  # the gettext domain the CLI binds (bantin.i18n); plain English elsewhere


def _(message: str) -> str:
    """A message in the reader's language: the errors of every layer speak it, from the
    catalogs the CLI binds (``bantin/locale``)."""
    return gettext.dgettext(DOMAIN, message)


class ExitCode(IntEnum):
    ok = 0
    input_failed = 1  # some inputs could not be ingested (the rest landed), or verify found problems
    bad_args = 2  # click's own code for usage errors
    archive_error = 3  # the archive is unusable or locked
    missing_dependency = 4  # tesseract, the vie model or poppler is not installed
    not_found = 5  # an issue id or page that is not in the archive
    bad_query = 6
    bad_account = 7  # a user name, role or password the accounts do not take
    other_error = 15  # a bug or an unforeseen failure: one line, and -v shows the traceback
    ctrl_c = 130  # the shell's code for SIGINT


class BantinError(Exception):
    """An error with a one-line message for the user and the exit code it ends with."""

    exit_code = ExitCode.other_error


class ArchiveError(BantinError):
    """The archive folder is unusable (wrong format version, locked, damaged, not an archive)."""

    exit_code = ExitCode.archive_error


class IssueNotFound(ArchiveError):
    exit_code = ExitCode.not_found
